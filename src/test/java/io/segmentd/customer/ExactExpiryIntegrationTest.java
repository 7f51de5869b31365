package io.segmentd.customer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.server.SegmentdNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A customer active only at the start leaves its engagement segment by itself, at the exact
 * instant the window passes, although its entity had been passivated: the durable schedule in
 * Cassandra and the sharded waker bring it back.
 */
@ExtendWith(CassandraExtension.class)
class ExactExpiryIntegrationTest {

  @Test
  void quietCustomerLeavesEngagementWhenTheWindowPassesWhilePassivated(LocalCassandra cassandra) throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
    var config = TestNodes.config(cassandra.contactPoint(), "it_expiry", LocalCassandra.freePort(), Map.of(
        "segmentd.segments.engagement.window", "10m",
        "segmentd.profile.resolution", "1m",
        "segmentd.reevaluation.tick-interval", "200ms",
        "pekko.cluster.sharding.passivation.strategy", "default-idle-strategy",
        "pekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout", "1s"));
    try (SegmentdNode node = SegmentdNode.start(config, clock)) {
      ApiClient api = new ApiClient(node.httpPort());
      assertEquals(200, api.post("/v1/batch", """
          {"batch": [
            {"type": "page", "userId": "quiet", "messageId": "q-1", "timestamp": "2024-02-29T23:58:00Z", "name": "Home"},
            {"type": "track", "userId": "quiet", "messageId": "q-2", "timestamp": "2024-02-29T23:59:00Z", "event": "Product Viewed"}
          ]}""").status());
      assertTrue(segments(api).contains("engagement:occasional"));

      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> !TestNodes.activeCustomers(node).contains("quiet"));

      // The window of the later interaction passes at 00:09:00; the clock jumps past it.
      clock.set(Instant.parse("2024-03-01T00:30:00Z"));

      Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        JsonNode history = api.get("/v1/customers/quiet/history?order=recorded").json();
        List<String> timeCaused = new ArrayList<>();
        for (JsonNode t : history.get("transitions")) {
          if (t.get("cause").get("trigger").asText().equals("time")) {
            timeCaused.add(t.get("direction").asText() + " " + t.get("segment").asText() + " " + t.get("at").asText());
          }
        }
        assertEquals(List.of("exited engagement:occasional 2024-03-01T00:09:00Z", "entered engagement:dormant 2024-03-01T00:09:00Z"), timeCaused);
      });
      JsonNode exit = StreamSupport.stream(api.get("/v1/customers/quiet/history?order=recorded").json().get("transitions").spliterator(), false)
          .filter(t -> t.get("direction").asText().equals("exited") && t.get("segment").asText().equals("engagement:occasional"))
          .findFirst().orElseThrow();
      assertEquals(1, exit.get("cause").get("ruleVersion").asInt());
      assertEquals("0", exit.get("cause").get("values").get("interactions").asText());
      assertFalse(segments(api).contains("engagement:occasional"));
    }
  }

  private static List<String> segments(ApiClient api) {
    return StreamSupport.stream(api.get("/v1/customers/quiet").json().get("segments").spliterator(), false).map(JsonNode::asText).toList();
  }

}
