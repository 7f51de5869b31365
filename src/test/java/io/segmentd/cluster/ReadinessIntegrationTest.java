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
      assertEquals(500, ready.status(), ready.body());
      assertTrue(ready.body().contains("ClusterMembershipCheck") || ready.body().contains("cluster-membership"), ready.body());

      cluster.startNode(2);
      cluster.awaitReady(1);
      assertEquals(200, cluster.management(1, "/ready").status());
    }
  }
}
