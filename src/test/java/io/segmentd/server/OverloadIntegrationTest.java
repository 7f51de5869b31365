package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.TestNodes;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A burst far beyond what a node admits (16 times its in-flight and queue bounds, from one client
 * with 160 requests outstanding): the excess is refused with 429 and Retry-After, nothing refused
 * is recorded and everything acknowledged is, the heap does not grow with the burst, and the node
 * takes events normally right after. The refusal latencies are printed (measured, not asserted).
 */
@ExtendWith(CassandraExtension.class)
class OverloadIntegrationTest {
  private static final int CUSTOMERS = 100;
  private static final int EVENTS_PER_REQUEST = 20;
  private static final int OUTSTANDING = 160;
  private static final int REQUESTS = 3000;

  @Test
  void aBurstFarBeyondCapacityIsRefusedWith429AndTheNodeGoesOn(LocalCassandra cassandra) throws Exception {
    try (SegmentdNode node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_overload", LocalCassandra.freePort(),
        Map.of("segmentd.ingest.admission.max-in-flight", 4, "segmentd.ingest.admission.max-queued", 6,
            "segmentd.ingest.admission.max-queue-wait", "2s")), Clock.systemUTC())) {
      ApiClient api = new ApiClient(node.httpPort());
      // Warm: every customer's entity exists before the heap is measured.
      for (int c = 0; c < CUSTOMERS; c++) assertEquals(200, api.post("/v1/track", event("c" + c, "warm-" + c)).status());
      long heapBefore = heapAfterGc();

      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String auth = "Basic " + Base64.getEncoder().encodeToString("dev-write-key:".getBytes(StandardCharsets.UTF_8));
      Semaphore outstanding = new Semaphore(OUTSTANDING);
      Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
      Map<String, AtomicLong> acknowledged = new ConcurrentHashMap<>();
      ConcurrentHistogram refusedMicros = new ConcurrentHistogram(3);
      ConcurrentHistogram acceptedMicros = new ConcurrentHistogram(3);
      AtomicLong withoutRetryAfter = new AtomicLong();
      List<CompletableFuture<?>> sent = new ArrayList<>();
      long burstStarted = System.nanoTime();
      for (int r = 0; r < REQUESTS; r++) {
        String customer = "c" + (r % CUSTOMERS);
        StringBuilder batch = new StringBuilder("{\"batch\": [");
        for (int e = 0; e < EVENTS_PER_REQUEST; e++) {
          batch.append(e == 0 ? "" : ",").append("{\"type\": \"track\", \"userId\": \"").append(customer)
              .append("\", \"event\": \"Burst\", \"messageId\": \"b-").append(r).append('-').append(e).append("\"}");
        }
        outstanding.acquire();
        long began = System.nanoTime();
        sent.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/batch"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", auth).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(batch.append("]}").toString())).build(), HttpResponse.BodyHandlers.ofString())
            .whenComplete((response, failure) -> {
              outstanding.release();
              long micros = (System.nanoTime() - began) / 1000;
              int status = failure == null ? response.statusCode() : 0;
              statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
              if (status == 200) {
                acceptedMicros.recordValue(micros);
                acknowledged.computeIfAbsent(customer, c -> new AtomicLong()).addAndGet(EVENTS_PER_REQUEST);
              } else if (status == 429) {
                refusedMicros.recordValue(micros);
                if (response.headers().firstValue("Retry-After").isEmpty()) withoutRetryAfter.incrementAndGet();
              }
            }));
      }
      CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
      double burstSeconds = (System.nanoTime() - burstStarted) / 1e9;
      long heapAfter = heapAfterGc();
      System.out.printf("overload: %d requests of %d events in %.1f s, %d outstanding; answers %s; 429 latency p50 %.1f ms, p99 %.1f ms,"
              + " max %.1f ms; 200 latency p50 %.1f ms, p99 %.1f ms; heap after GC %,d -> %,d bytes%n",
          REQUESTS, EVENTS_PER_REQUEST, burstSeconds, OUTSTANDING, statuses, refusedMicros.getValueAtPercentile(50) / 1000.0,
          refusedMicros.getValueAtPercentile(99) / 1000.0, refusedMicros.getMaxValue() / 1000.0,
          acceptedMicros.getValueAtPercentile(50) / 1000.0, acceptedMicros.getValueAtPercentile(99) / 1000.0, heapBefore, heapAfter);

      assertTrue(statuses.getOrDefault(429, new AtomicLong()).get() > REQUESTS / 10, "too few refusals to call it overload: " + statuses);
      assertTrue(statuses.getOrDefault(200, new AtomicLong()).get() > 0, "nothing got through: " + statuses);
      for (Integer status : statuses.keySet()) assertTrue(status == 200 || status == 429, "answered " + statuses);
      assertEquals(0, withoutRetryAfter.get(), "429 without Retry-After");
      // The burst left nothing behind on the heap (beyond noise): refusals hold no memory.
      assertTrue(heapAfter - heapBefore < 64L << 20, "the heap grew by " + (heapAfter - heapBefore) + " bytes");
      // Right after, the node takes events normally...
      Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertEquals(200, api.post("/v1/track", event("after", "after-" + System.nanoTime())).status()));
      // ...and exactly what was acknowledged is recorded: a 429 wrote nothing.
      for (int c = 0; c < CUSTOMERS; c++) {
        long expected = 1 + acknowledged.getOrDefault("c" + c, new AtomicLong()).get();
        assertEquals(expected, api.get("/v1/customers/c" + c).json().get("eventCount").asLong(), "customer c" + c);
      }
    }
  }

  private static String event(String customer, String messageId) {
    return "{\"userId\": \"" + customer + "\", \"event\": \"Warm\", \"messageId\": \"" + messageId + "\"}";
  }

  private static long heapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }
}
