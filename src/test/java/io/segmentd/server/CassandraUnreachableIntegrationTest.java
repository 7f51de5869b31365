package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.segmentd.testing.ApiClient;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.TestNodes;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Without a reachable Cassandra a node is alive, but not ready, and acknowledges nothing. */
class CassandraUnreachableIntegrationTest {

  private static SegmentdNode startWithoutCassandra(int managementPort) {
    int nothingListens = LocalCassandra.freePort();
    var config = TestNodes.config("127.0.0.1:" + nothingListens, "unreachable", managementPort,
        Map.of("segmentd.cassandra.create-schema", false, "segmentd.http.ask-timeout", "2s"));
    return SegmentdNode.start(config, Clock.systemUTC());
  }

  @Test
  void ingestIsNeverAcknowledgedWhenTheJournalCannotWrite() {
    try (SegmentdNode node = startWithoutCassandra(LocalCassandra.freePort())) {
      ApiClient.Response response = new ApiClient(node.httpPort()).post("/v1/track",
          "{\"userId\": \"u\", \"event\": \"Order Completed\", \"messageId\": \"m\", \"properties\": {\"revenue\": 5}}");
      assertEquals(503, response.status(), response.body());
      assertEquals("unavailable", response.json().get("error").asText());
    }
  }

  @Test
  void notReadyWhileCassandraIsUnreachable() {
    int management = LocalCassandra.freePort();
    try (SegmentdNode node = startWithoutCassandra(management)) {
      ApiClient client = new ApiClient(node.httpPort());
      String base = "http://127.0.0.1:" + management;
      Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertEquals(200, client.getRaw(base + "/alive").status()));
      Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        ApiClient.Response ready = client.getRaw(base + "/ready");
        assertEquals(503, ready.status(), ready.body());
        // The checks that need Cassandra fail, by name; membership does not.
        java.util.Map<String, Boolean> checks = new java.util.TreeMap<>();
        ready.json().get("checks").forEach(c -> checks.put(c.get("name").asText(), c.get("ok").asBoolean()));
        assertEquals(false, checks.get("cassandra"), ready.body());
        assertEquals(false, checks.get("read-side"), ready.body());
        assertEquals(true, checks.get("cluster-membership"), ready.body());
      });
    }
  }
}
