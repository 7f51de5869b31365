package io.segmentd.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import io.segmentd.customer.Customer;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * A customer journal written straight into segmentd's real {@code messages} table (and
 * {@code all_persistence_ids}, which the journal fills on a persistence id's first write and the
 * persistence-id query reads) with a plain driver: rows exactly as pekko-persistence-cassandra
 * writes them for a {@code Customer.EventsRecorded}, serialized by Pekko's serialization (the
 * node's own Jackson CBOR binding), so replays decode them as they decode a node's journal.
 *
 * <p>Each customer has about 5 rows (3 to 7, sequence numbers 1..k, partition 0), each one
 * session's batch of about 10 events (5 to 15): page views, product views with a category and a
 * product id, some products added, and in one session of five a checkout and an order with an
 * order id and a revenue. Sessions lie in the last 90 days; a row is recorded a few seconds after
 * its session's last event (as live ingestion does). The journal holds no transition rows: no
 * node ever ran on it.
 */
final class SyntheticJournal {
  private static final String[] CATEGORIES = {"garden", "kitchen", "toys", "books", "outdoor", "lighting", "bath", "bedroom", "office",
      "pets", "gifts", "christmas"};
  private static final String[] PAGES = {"Home", "Category", "Search", "Product", "Cart", "Account"};
  private static final String[] ZONES = {"Europe/London", "Europe/Berlin", "America/New_York", "Europe/Paris"};

  /** What was written: rows, events, payload bytes and the time it took. */
  record Written(long customers, long rows, long events, long bytes, Duration elapsed) {
    double eventsPerSecond() {
      return events / Math.max(1e-9, elapsed.toNanos() / 1e9);
    }

    double rowsPerSecond() {
      return rows / Math.max(1e-9, elapsed.toNanos() / 1e9);
    }
  }

  private final CqlSession cql;
  private final Serialization serialization;
  private final PreparedStatement insert;
  private final PreparedStatement persistenceId;
  private final String writerUuid = UUID.randomUUID().toString();
  private final Instant now = Instant.now();

  SyntheticJournal(CqlSession cql, String keyspace, ActorSystem system) {
    this.cql = cql;
    this.serialization = SerializationExtension.get(system);
    this.insert = cql.prepare("INSERT INTO " + keyspace + ".messages (persistence_id, partition_nr, sequence_nr, timestamp, timebucket,"
        + " writer_uuid, ser_id, ser_manifest, event_manifest, event) VALUES (?, 0, ?, ?, ?, ?, ?, ?, '', ?)");
    this.persistenceId = cql.prepare("INSERT INTO " + keyspace + ".all_persistence_ids (persistence_id) VALUES (?)");
  }

  /**
   * Writes customers until {@code events} events are written, {@code inFlight} writes at once, from
   * {@code threads} generating threads (generation and CBOR serialization are CPU work).
   */
  Written write(long events, int inFlight, int threads, java.util.function.LongConsumer progress) throws Exception {
    Semaphore permits = new Semaphore(inFlight);
    AtomicLong eventsLeft = new AtomicLong(events);
    AtomicLong nextCustomer = new AtomicLong();
    AtomicLong rows = new AtomicLong();
    AtomicLong written = new AtomicLong();
    AtomicLong bytes = new AtomicLong();
    AtomicLong customers = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long began = System.nanoTime();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread worker = new Thread(() -> {
        SplittableRandom random = new SplittableRandom(Thread.currentThread().getId() * 7919L);
        while (failure.get() == null) {
          long c = nextCustomer.getAndIncrement();
          List<List<BehaviorEvent>> sessions = customer(random, "c" + c);
          for (int s = 0; s < sessions.size() && failure.get() == null; s++) {
            List<BehaviorEvent> batch = sessions.get(s);
            long left = eventsLeft.addAndGet(-batch.size());
            if (left + batch.size() <= 0) return; // the target is reached
            if (left < 0) batch = batch.subList(0, (int) (batch.size() + left));
            if (s == 0) {
              customers.incrementAndGet();
              permits.acquireUninterruptibly();
              cql.executeAsync(persistenceId.bind(Customer.persistenceId("c" + c).id())).whenComplete((r, e) -> {
                if (e != null) failure.compareAndSet(null, e);
                permits.release();
              });
            }
            Instant last = batch.get(batch.size() - 1).timestamp();
            Instant recordedAt = last.plusMillis(500 + random.nextInt(5_000));
            Customer.EventsRecorded recorded = new Customer.EventsRecorded(List.copyOf(batch), recordedAt);
            Serializer serializer = serialization.findSerializerFor(recorded);
            byte[] blob = serializer.toBinary(recorded);
            String manifest = Serializers.manifestFor(serializer, recorded);
            long millis = recordedAt.toEpochMilli();
            // the journal's timeuuid is its write time: here the instant the batch was recorded
            UUID timestamp = new UUID(Uuids.startOf(millis).getMostSignificantBits(), Uuids.timeBased().getLeastSignificantBits());
            String timebucket = Long.toString(millis - Math.floorMod(millis, 3_600_000L)); // TimeBucket(Hour).key
            int n = batch.size();
            permits.acquireUninterruptibly();
            cql.executeAsync(insert.bind(Customer.persistenceId("c" + c).id(), (long) s + 1, timestamp, timebucket, writerUuid,
                serializer.identifier(), manifest, ByteBuffer.wrap(blob))).whenComplete((r, e) -> {
                  if (e != null) failure.compareAndSet(null, e);
                  permits.release();
                  rows.incrementAndGet();
                  progress.accept(written.addAndGet(n));
                });
            bytes.addAndGet(blob.length);
          }
        }
      }, "synthetic-journal-" + t);
      worker.start();
      workers.add(worker);
    }
    for (Thread worker : workers) worker.join();
    if (!permits.tryAcquire(inFlight, 5, TimeUnit.MINUTES)) throw new IllegalStateException("writes still in flight after 5 minutes");
    permits.release(inFlight);
    if (failure.get() != null) throw new IllegalStateException("a journal write failed: " + failure.get(), failure.get());
    return new Written(customers.get(), rows.get(), written.get(), bytes.get(), Duration.ofNanos(System.nanoTime() - began));
  }

  /** One customer's sessions over the last 90 days, in time order, each one journal row's events. */
  List<List<BehaviorEvent>> customer(SplittableRandom random, String customerId) {
    int rows = 3 + random.nextInt(5);
    long window = Duration.ofDays(90).toSeconds();
    long[] starts = new long[rows];
    for (int i = 0; i < rows; i++) starts[i] = now.getEpochSecond() - window + random.nextLong(window - 3_600);
    java.util.Arrays.sort(starts);
    String zone = ZONES[random.nextInt(ZONES.length)];
    List<List<BehaviorEvent>> sessions = new ArrayList<>(rows);
    int n = 0;
    for (int s = 0; s < rows; s++) {
      int size = 5 + random.nextInt(11);
      boolean orders = random.nextInt(5) == 0;
      Instant t = Instant.ofEpochSecond(starts[s]);
      List<BehaviorEvent> events = new ArrayList<>(size);
      String category = CATEGORIES[random.nextInt(CATEGORIES.length)];
      for (int e = 0; e < size; e++) {
        t = t.plusSeconds(5 + random.nextInt(120));
        String messageId = customerId + "-" + n++;
        if (orders && e == size - 2) {
          events.add(new BehaviorEvent(messageId, EventType.TRACK, "Checkout Started", t, t, zone, Map.of("category", category)));
        } else if (orders && e == size - 1) {
          BigDecimal revenue = BigDecimal.valueOf(500 + random.nextInt(20_000), 2);
          events.add(new BehaviorEvent(messageId, EventType.TRACK, "Order Completed", t, t, zone,
              Map.of("order_id", customerId + "-o" + s, "revenue", revenue, "currency", "GBP", "category", category)));
        } else if (random.nextInt(10) < 4) {
          String page = PAGES[random.nextInt(PAGES.length)];
          events.add(new BehaviorEvent(messageId, EventType.PAGE, page, t, t, zone,
              Map.of("path", "/" + page.toLowerCase(java.util.Locale.ROOT) + "/" + random.nextInt(1000))));
        } else if (random.nextInt(10) == 0) {
          events.add(new BehaviorEvent(messageId, EventType.TRACK, "Product Added", t, t, zone,
              Map.of("product_id", "p-" + random.nextInt(5000), "category", category)));
        } else {
          if (random.nextInt(4) == 0) category = CATEGORIES[random.nextInt(CATEGORIES.length)];
          events.add(new BehaviorEvent(messageId, EventType.TRACK, "Product Viewed", t, t, zone,
              Map.of("product_id", "p-" + random.nextInt(5000), "category", category)));
        }
      }
      sessions.add(events);
    }
    return sessions;
  }
}
