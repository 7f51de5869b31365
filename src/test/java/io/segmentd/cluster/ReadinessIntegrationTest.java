package io.segmentd.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.TestCluster;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A node that has not joined a cluster is alive but not ready, and says which check fails. */
@ExtendWith(CassandraExtension.class)
class ReadinessIntegrationTest {

  @Test
  void aNodeIsNotReadyBeforeItHasJoinedAndReadyOnceItHas(LocalCassandra cassandra) {
    // Two nodes form the cluster; with only the first running, Bootstrap keeps probing the second.
    try (TestCluster cluster = new TestCluster(cassandra, "it_readiness", 2, 2, "")) {
      cluster.launch(1);
      cluster.awaitBound(1);
      Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> cluster.management(1, "/alive").status() == 200);
      ApiClient.Response ready = cluster.management(1, "/ready");
      assertEquals(503, ready.status(), ready.body());
      // Every check by name: membership fails before the join (sharding's own check is the library's).
      java.util.Map<String, Boolean> checks = new java.util.TreeMap<>();
      ready.json().get("checks").forEach(c -> checks.put(c.get("name").asText(), c.get("ok").asBoolean()));
      assertEquals(java.util.Set.of("cassandra", "cluster-membership", "http-bound", "read-side", "sharding"), checks.keySet(), ready.body());
      checks.remove("sharding");
      assertEquals(java.util.Map.of("cassandra", true, "cluster-membership", false, "http-bound", true, "read-side", true), checks,
          ready.body());
      assertEquals(false, ready.json().get("ok").asBoolean());

      cluster.startNode(2);
      cluster.awaitReady(1);
      ApiClient.Response nowReady = cluster.management(1, "/ready");
      assertEquals(200, nowReady.status());
      assertTrue(nowReady.json().get("ok").asBoolean());
      nowReady.json().get("checks").forEach(c -> assertTrue(c.get("ok").asBoolean(), c.toString()));
    }
  }
}
