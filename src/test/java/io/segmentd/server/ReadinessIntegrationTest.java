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

/** /ready must not be green while Cassandra cannot be reached. */
class ReadinessIntegrationTest {

  @Test
  void notReadyWhileCassandraIsUnreachable() {
    int management = LocalCassandra.freePort();
    int nothingListens = LocalCassandra.freePort();
    var config = TestNodes.config("127.0.0.1:" + nothingListens, "unreachable", management,
        Map.of("segmentd.cassandra.create-schema", false));
    try (SegmentdNode node = SegmentdNode.start(config, Clock.systemUTC())) {
      ApiClient client = new ApiClient(node.httpPort());
      String base = "http://127.0.0.1:" + management;
      Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertEquals(200, client.getRaw(base + "/alive").status()));
      Awaitility.await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertEquals(new ApiClient.Response(500, "Not Healthy: Check [org.apache.pekko.persistence.cassandra.healthcheck.CassandraHealthCheck] not ok"),
              client.getRaw(base + "/ready")));
    }
  }
}
