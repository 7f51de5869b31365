package io.segmentd.expiry;

import io.segmentd.common.Stages;
import io.segmentd.customer.ReevaluationScheduler;

import com.datastax.oss.driver.api.core.cql.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The re-evaluation schedule in Cassandra: rows {@code (slice, hour) -> (due, customer)} plus an
 * index of non-empty hours per slice. Writes come from the entities (which retry, and delete the rows
 * their later instants superseded); reads and deletes from the waker of each slice, which touches
 * only hours that hold something due.
 */
public final class CassandraReevaluationSchedule implements ReevaluationScheduler {
  private static final Logger log = LoggerFactory.getLogger(CassandraReevaluationSchedule.class);
  private static final long HOUR_MS = Duration.ofHours(1).toMillis();

  private final CassandraSession session;
  private final ActorSystem<?> system;
  private final Executor executor;
  private final int slices;
  /**
   * (slice, hour) index rows this node wrote since it started, for the current hour and later: a
   * schedule write into one of them needs only its due row. The waker deletes an index row only
   * for an hour at least one hour past (and empty), which these never are (see {@link #schedule}).
   */
  private final java.util.Set<Long> indexed = ConcurrentHashMap.newKeySet();
  private volatile long indexedPrunedAt;
  private final String insertHour;
  private final String insertDue;
  private final String selectHours;
  private final String selectDue;
  private final String selectAny;
  private final String deleteDue;
  private final String deleteHour;

  public record Due(int slice, long hour, Instant due, String customerId) {}

  public CassandraReevaluationSchedule(CassandraSession session, ActorSystem<?> system, String keyspace, int slices) {
    this.session = session;
    this.system = system;
    this.executor = system.executionContext();
    this.slices = slices;
    this.insertHour = "INSERT INTO " + keyspace + ".reevaluation_hours (slice, hour) VALUES (?, ?)";
    this.insertDue = "INSERT INTO " + keyspace + ".reevaluation_schedule (slice, hour, due, customer_id) VALUES (?, ?, ?, ?)";
    this.selectHours = "SELECT hour FROM " + keyspace + ".reevaluation_hours WHERE slice = ? AND hour <= ?";
    this.selectDue = "SELECT due, customer_id FROM " + keyspace + ".reevaluation_schedule WHERE slice = ? AND hour = ? AND due > ? AND due <= ?";
    this.selectAny = "SELECT customer_id FROM " + keyspace + ".reevaluation_schedule WHERE slice = ? AND hour = ? LIMIT 1";
    this.deleteDue = "DELETE FROM " + keyspace + ".reevaluation_schedule WHERE slice = ? AND hour = ? AND due = ? AND customer_id = ?";
    this.deleteHour = "DELETE FROM " + keyspace + ".reevaluation_hours WHERE slice = ? AND hour = ?";
  }

  public int slices() {
    return slices;
  }

  public int sliceOf(String customerId) {
    return Math.floorMod(customerId.hashCode(), slices);
  }

  @Override
  public CompletionStage<Done> schedule(String customerId, Instant due) {
    Instant rounded = ReevaluationScheduler.rowInstant(due);
    int slice = sliceOf(customerId);
    long hour = hourOf(rounded);
    long currentHour = System.currentTimeMillis() / HOUR_MS;
    long key = hour * slices + slice;
    pruneIndexed(currentHour);
    // The hour index first: a missing schedule row after it is harmless, the reverse would hide the row.
    // Once this node has written the index row of a (slice, hour) that is not in the past, later rows
    // of that hour skip it: one round trip instead of two. An hour already past is always written
    // (its index row may be cleaned up by a waker while empty).
    CompletionStage<Done> index = hour >= currentHour && indexed.contains(key)
        ? CompletableFuture.completedFuture(Done.getInstance())
        : Stages.on(session.executeWrite(insertHour, slice, hour), executor).thenApply(d -> {
            if (hour >= currentHour) indexed.add(key);
            return d;
          });
    return index.thenCompose(d -> Stages.on(session.executeWrite(insertDue, slice, hour, rounded, customerId), executor));
  }

  /** Forgets index rows of hours that have passed (bounded by the hours that hold future rows). */
  private void pruneIndexed(long currentHour) {
    if (indexedPrunedAt == currentHour) return;
    indexedPrunedAt = currentHour;
    indexed.removeIf(key -> key / slices < currentHour);
  }

  /** Deletes a row that a later confirmed one superseded; the hour index is left to the waker's cleanup. */
  @Override
  public CompletionStage<Done> unschedule(String customerId, Instant due) {
    Instant rounded = ReevaluationScheduler.rowInstant(due);
    return Stages.on(session.executeWrite(deleteDue, sliceOf(customerId), hourOf(rounded), rounded, customerId), executor);
  }

  private static long hourOf(Instant due) {
    return due.toEpochMilli() / HOUR_MS;
  }


  /** How a round went: customers woken, and wake-ups that failed (their rows stay for the next round). */
  public record Round(int woken, int failed) {
    Round plus(Round other) {
      return new Round(woken + other.woken, failed + other.failed);
    }
  }

  /**
   * Wakes every customer of {@code slice} due in {@code (after, now]} with {@code wake}, deleting
   * each row once its customer has confirmed. {@code after} is the waker's watermark: rows at or
   * before it were all handled, so the read skips their tombstones.
   */
  public CompletionStage<Round> wakeDue(int slice, Instant after, Instant now, Function<Due, CompletionStage<Done>> wake, int parallelism) {
    long currentHour = now.toEpochMilli() / HOUR_MS;
    return Stages.on(session.select(selectHours, slice, currentHour)
        .map(row -> row.getLong("hour"))
        .flatMapConcat(hour -> wakeHour(slice, hour, after, now, currentHour, wake, parallelism))
        .runFold(new Round(0, 0), Round::plus, system), executor);
  }

  private Source<Round, NotUsed> wakeHour(int slice, long hour, Instant after, Instant now, long currentHour,
                                          Function<Due, CompletionStage<Done>> wake, int parallelism) {
    Source<Round, NotUsed> woken = session.select(selectDue, slice, hour, after, now)
        .map((Row row) -> new Due(slice, hour, row.getInstant("due"), row.getString("customer_id")))
        .mapAsyncUnordered(parallelism, due -> Stages.on(wake.apply(due), executor)
            .thenCompose(d -> Stages.on(session.executeWrite(deleteDue, slice, hour, due.due(), due.customerId()), executor))
            .thenApply(d -> new Round(1, 0))
            .exceptionally(failure -> {
              log.warn("waking {} due {} failed; retried on the next tick: {}", due.customerId(), due.due(), failure.getMessage());
              return new Round(0, 1);
            }));
    // An hour well in the past that is now empty leaves the index (one hour of grace for late writers).
    Round nothing = new Round(0, 0);
    Source<Round, NotUsed> cleanup = Source.lazyCompletionStage(() -> hour >= currentHour - 1
        ? CompletableFuture.completedFuture(nothing)
        : Stages.on(session.selectOne(selectAny, slice, hour), executor).thenCompose(any -> any.isPresent()
            ? CompletableFuture.completedFuture(nothing)
            : Stages.on(session.executeWrite(deleteHour, slice, hour), executor).thenApply(d -> nothing)));
    return woken.concat(cleanup);
  }
}
