package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * No thread per completion: a few thousand asks through the real node (ingest of new customers,
 * whose first batch also writes their schedule row and feeds the read side, and profile reads)
 * start only a handful of threads. On a machine with two cores the JDK's common pool has
 * parallelism 1, so a continuation without an executor on one of Pekko's stages would start a
 * thread for each completion: thousands here.
 */
@ExtendWith(CassandraExtension.class)
class ThreadCountIntegrationTest {
  private static final int REQUESTS = 200;
  private static final int CUSTOMERS_PER_REQUEST = 10;
  private static final int PROFILE_READS = 500;
  /** Far below one thread per ask (2,500 here), above what pools may still add once warm. */
  private static final long BOUND = 60;

  @Test
  void aNodeStartsNoThreadPerCompletion(LocalCassandra cassandra) throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
    try (SegmentdNode node = TestNodes.start(cassandra, "it_thread_count", clock)) {
      ApiClient api = new ApiClient(node.httpPort());
      ExecutorService client = Executors.newFixedThreadPool(4);
      try {
        // Warm-up: pools, connections and the read side's projections start their threads.
        assertEquals(0, load(api, client, "warm", 40, 40));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long before = threads.getTotalStartedThreadCount();
        assertEquals(0, load(api, client, "measured", REQUESTS, PROFILE_READS));
        long started = threads.getTotalStartedThreadCount() - before;
        System.out.printf("ThreadCountIntegrationTest: %d asks through the node started %d threads (%d live)%n",
            REQUESTS * CUSTOMERS_PER_REQUEST + PROFILE_READS, started, threads.getThreadCount());
        assertTrue(started < BOUND, started + " threads started for " + (REQUESTS * CUSTOMERS_PER_REQUEST + PROFILE_READS) + " asks");
      } finally {
        client.shutdownNow();
      }
    }
  }

  /** Sends the batches and profile reads, 4 at a time; returns how many were not answered 200. */
  private static int load(ApiClient api, ExecutorService client, String prefix, int requests, int reads) throws Exception {
    AtomicInteger failed = new AtomicInteger();
    List<Future<?>> sent = new ArrayList<>();
    for (int r = 0; r < requests; r++) {
      int request = r;
      sent.add(client.submit(() -> {
        StringBuilder batch = new StringBuilder("{\"batch\": [");
        for (int c = 0; c < CUSTOMERS_PER_REQUEST; c++) {
          if (c > 0) batch.append(',');
          batch.append("{\"type\": \"track\", \"userId\": \"").append(prefix).append('-').append(request).append('-').append(c)
              .append("\", \"messageId\": \"").append(prefix).append('-').append(request).append('-').append(c)
              .append("\", \"timestamp\": \"2024-02-20T09:00:00Z\", \"event\": \"Product Viewed\"}");
        }
        if (api.post("/v1/batch", batch.append("]}").toString()).status() != 200) failed.incrementAndGet();
      }));
    }
    for (Future<?> f : sent) f.get();
    sent.clear();
    for (int r = 0; r < reads; r++) {
      int read = r;
      sent.add(client.submit(() -> {
        if (api.get("/v1/customers/" + prefix + "-" + (read % requests) + "-" + (read % CUSTOMERS_PER_REQUEST)).status() != 200) {
          failed.incrementAndGet();
        }
      }));
    }
    for (Future<?> f : sent) f.get();
    return failed.get();
  }
}
