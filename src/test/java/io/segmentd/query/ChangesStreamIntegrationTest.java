package io.segmentd.query;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.server.SegmentdNode;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.ChangesStream;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The changes stream's promise, through the HTTP API: followers that keep hanging up and resuming
 * with {@code Last-Event-ID} while several clients ingest at once receive, all connections
 * together, exactly the transitions in the customers' journals.
 */
@ExtendWith(CassandraExtension.class)
class ChangesStreamIntegrationTest {
  private static final int WRITERS = 4;
  private static final int CUSTOMERS_PER_WRITER = 60;
  /** Interactions each customer gets per round: 1 (occasional), then 5 in all (average), then 20 (high). */
  private static final int[] ROUNDS = {1, 4, 15};

  @Test
  void followersThatHangUpAndResumeWhileSeveralClientsIngestReceiveEveryTransitionOnce(LocalCassandra cassandra) throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2024-06-01T00:00:00Z"));
    var config = TestNodes.config(cassandra.contactPoint(), "it_changes_stream", LocalCassandra.freePort(), Map.of(
        "pekko.persistence.cassandra.events-by-tag.eventual-consistency-delay", "1s",
        "pekko.persistence.cassandra.query.refresh-interval", "300ms",
        "segmentd.read-side.changes-poll-interval", "50ms",
        "segmentd.read-side.group-within", "50ms",
        "datastax-java-driver.basic.request.timeout", "10s"));
    ExecutorService threads = Executors.newFixedThreadPool(WRITERS + 2, runnable -> {
      Thread thread = new Thread(runnable);
      thread.setDaemon(true); // a follower still waiting when the test fails ends with the node
      return thread;
    });
    try (SegmentdNode node = SegmentdNode.start(config, clock)) {
      ApiClient api = new ApiClient(node.httpPort());
      List<String> segments = List.of("engagement:occasional", "engagement:average");
      List<Follower> followers = new ArrayList<>();
      for (int i = 0; i < segments.size(); i++) {
        Follower follower = new Follower(node.httpPort(), segments.get(i), new Random(100 + i));
        followers.add(follower);
        follower.running = CompletableFuture.runAsync(follower::run, threads);
      }

      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        writers.add(CompletableFuture.runAsync(() -> ingest(api, clock, writer), threads));
      }
      CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);

      for (Follower follower : followers) {
        Set<String> journal = journalTransitions(api, follower.segment);
        assertTrue(journal.size() >= 2 * WRITERS * CUSTOMERS_PER_WRITER, follower.segment + ": " + journal.size());
        follower.target.set(journal.size());
        try {
          Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> {
            if (follower.running.isCompletedExceptionally()) follower.running.join(); // what went wrong in the follower
            return follower.received.size() >= journal.size();
          });
        } catch (ConditionTimeoutException e) {
          Set<String> missing = new TreeSet<>(journal);
          missing.removeAll(follower.received);
          fail(follower.segment + ": " + follower.received.size() + " of " + journal.size() + " transitions after 120 s, missing "
              + missing.size() + ", e.g. " + missing.stream().limit(5).toList());
        }
        List<String> received = follower.received;
        assertEquals(received.size(), new HashSet<>(received).size(), follower.segment + ": no transition twice");
        assertEquals(journal, new TreeSet<>(received), follower.segment + ": every transition of the journals");
        List<String> after = new ArrayList<>();
        ChangesStream.read(node.httpPort(), follower.segment, follower.lastId.get(), false, event -> !after.add(event.key()));
        assertEquals(List.of(), after, follower.segment + ": nothing after the end");
      }
    } finally {
      threads.shutdownNow();
    }
  }

  /**
   * One client: reads a few events, hangs up, resumes from the last id it saw, until it has
   * {@code target} events. Its last connection may still be waiting when the test ends; the
   * node's shutdown ends it.
   */
  private static final class Follower {
    final int port;
    final String segment;
    final Random random;
    final List<String> received = new CopyOnWriteArrayList<>();
    final AtomicInteger target = new AtomicInteger(Integer.MAX_VALUE);
    final AtomicInteger connections = new AtomicInteger();
    final AtomicReference<String> lastId = new AtomicReference<>();
    CompletableFuture<Void> running;

    Follower(int port, String segment, Random random) {
      this.port = port;
      this.segment = segment;
      this.random = random;
    }

    void run() {
      while (received.size() < target.get()) {
        int hangUpAfter = 1 + random.nextInt(60);
        int before = received.size();
        connections.incrementAndGet();
        ChangesStream.read(port, segment, lastId.get(), true, event -> {
          lastId.set(event.id());
          received.add(event.key());
          return received.size() - before >= hangUpAfter || received.size() >= target.get();
        });
      }
    }
  }

  /** Writer {@code w}'s customers, in rounds of small batches, each round moving them up an engagement level. */
  private static void ingest(ApiClient api, MutableClock clock, int w) {
    Random random = new Random(w);
    for (int round = 0; round < ROUNDS.length; round++) {
      for (int from = 0; from < CUSTOMERS_PER_WRITER; from += 10) {
        List<String> events = new ArrayList<>();
        for (int c = from; c < from + 10; c++) {
          for (int i = 0; i < ROUNDS[round]; i++) {
            Instant at = clock.instant().minus(Duration.ofMinutes(1 + random.nextInt(60 * 24 * 20)));
            events.add("{\"type\": \"track\", \"userId\": \"w" + w + "-c" + c + "\", \"messageId\": \"w" + w + "-c" + c + "-" + round + "-" + i
                + "\", \"timestamp\": \"" + at + "\", \"event\": \"Product Viewed\"}");
          }
        }
        ApiClient.Response response = api.post("/v1/batch", "{\"batch\": [" + String.join(",", events) + "]}");
        assertEquals(200, response.status(), response.body());
      }
    }
  }

  /** Every transition of {@code segment} in the writers' customers' journals, as customerId/sequenceNr/direction. */
  private static Set<String> journalTransitions(ApiClient api, String segment) {
    Set<String> transitions = new TreeSet<>();
    for (int w = 0; w < WRITERS; w++) {
      for (int c = 0; c < CUSTOMERS_PER_WRITER; c++) {
        String customer = "w" + w + "-c" + c;
        for (JsonNode t : api.get("/v1/customers/" + customer + "/history?order=recorded").json().get("transitions")) {
          if (t.get("segment").asText().equals(segment)) {
            transitions.add(customer + "/" + t.get("sequenceNr").asLong() + "/" + t.get("direction").asText());
          }
        }
      }
    }
    return transitions;
  }
}
