package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.segmentd.testing.ApiClient;
import io.segmentd.testing.JournalReader;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.LocalCassandraCluster;
import io.segmentd.testing.RetryingLoad;
import io.segmentd.testing.TestNodes;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The whole Cassandra killed (kill -9) while events stream in, then started again: the node
 * refuses while it is gone (503, nothing acknowledged), takes events again by itself once it is
 * back, and every event it acknowledged is in the journal exactly once.
 */
class CassandraOutageIntegrationTest {

  @Test
  void everyAcknowledgedEventSurvivesACassandraOutageAndIngestionResumesWithoutARestart() throws Exception {
    try (LocalCassandraCluster cassandra = LocalCassandraCluster.start(1);
         SegmentdNode node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_outage", LocalCassandra.freePort(),
             Map.of("segmentd.http.ask-timeout", "3s")), Clock.systemUTC())) {
      ApiClient api = new ApiClient(node.httpPort());
      RetryingLoad load = new RetryingLoad(() -> List.of(api), "outage", 60, 3);
      long beforeKill;
      long whileDown;
      try {
        awaitProgress(load, 500);
        beforeKill = load.acknowledged();
        cassandra.kill(1);
        // Gone: requests are refused, not acknowledged.
        Awaitility.await().atMost(Duration.ofMinutes(1)).until(() -> !load.refusals().isEmpty());
        whileDown = load.acknowledged() - beforeKill;
        cassandra.restart(1);
        // Back: the same node takes events again, with no restart.
        awaitProgress(load, 500);
        System.out.printf("outage: %d events acknowledged (%d after the kill, before refusals began), refusals %s%n",
            load.acknowledged(), whileDown, load.refusals());
      } finally {
        load.close();
      }
      assertTrue(load.failure().isEmpty(), () -> "the load failed: " + load.failure().get());
      try (JournalReader journal = new JournalReader(cassandra.contactPoint(), "it_outage")) {
        for (int c = 0; c < load.customers(); c++) {
          String id = load.customer(c);
          List<String> ids = journal.messageIds(id);
          assertEquals(ids.size(), new HashSet<>(ids).size(), id + ": an event twice");
          assertTrue(ids.containsAll(load.acknowledged(id)), id + ": an acknowledged event is missing from the journal");
        }
      }
    }
  }

  private static void awaitProgress(RetryingLoad load, long events) {
    long from = load.acknowledged();
    Awaitility.await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> load.acknowledged() >= from + events);
  }
}
