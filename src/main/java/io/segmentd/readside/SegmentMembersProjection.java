package io.segmentd.readside;

import io.segmentd.customer.Customer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.TimeBasedUUID;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.cassandra.javadsl.CassandraProjection;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.Handler;

/**
 * Segment transitions (tags {@code segments-<slice>}) into the read side: one at-least-once
 * projection per slice, run by {@link ShardedDaemonProcess}, applying transitions in groups.
 * Every write is idempotent; a (segment, bucket) partition has exactly one writer, so its count
 * is kept by read-modify-write.
 */
public final class SegmentMembersProjection {
  public static final String NAME = "segment-members";

  private SegmentMembersProjection() {}

  public static ProjectionId projectionId(int slice) {
    return ProjectionId.of(NAME, Customer.TAG_PREFIX + slice);
  }

  /** How many transitions a slice applies together, and how long it waits to fill a group. */
  public record Grouping(int size, java.time.Duration within) {}

  public static void init(ActorSystem<?> system, SegmentStore store, ProjectionLag lag, int slices, Grouping grouping, Clock clock) {
    if (store.buckets() % slices != 0) {
      throw new IllegalArgumentException("segmentd.read-side.member-buckets (" + store.buckets()
          + ") must be a multiple of segmentd.customer.tag-slices (" + slices + ")");
    }
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, NAME, slices,
        slice -> ProjectionBehavior.create(CassandraProjection.groupedWithin(
                projectionId(slice),
                EventSourcedProvider.<Customer.Event>eventsByTag(system, CassandraReadJournal.Identifier(), Customer.TAG_PREFIX + slice),
                () -> new TransitionHandler(store, lag, slice, clock))
            .withGroup(grouping.size(), grouping.within())),
        ShardedDaemonProcessSettings.create(system),
        Optional.of(ProjectionBehavior.stopMessage()));
  }

  static String customerId(String persistenceId) {
    return persistenceId.substring(persistenceId.indexOf('|') + 1);
  }

  /** One transition as the handler sees it. */
  record Transition(String segment, int bucket, String customerId, boolean entered, Instant at, EventEnvelope<Customer.Event> envelope,
                    Customer.Cause cause) {}

  /**
   * Applies a group of transitions: the change rows all at once, and per (segment, bucket) one
   * read of the members involved and logged batches of member rows plus the new count. A group
   * delivered again finds its rows written and changes nothing.
   */
  static final class TransitionHandler extends Handler<List<EventEnvelope<Customer.Event>>> {
    /** Member rows per logged batch: well under Cassandra's batch size limits. */
    private static final int BATCH_ROWS = 40;
    /** Writes a slice keeps in flight at once. */
    private static final int PARALLELISM = 16;

    private final SegmentStore store;
    private final ProjectionLag lag;
    private final int slice;
    private final Clock clock;
    /** Counts this slice wrote, per segment/bucket; valid while this run lasts (it is their only writer). */
    private final Map<String, Long> counts = new java.util.concurrent.ConcurrentHashMap<>();

    TransitionHandler(SegmentStore store, ProjectionLag lag, int slice, Clock clock) {
      this.store = store;
      this.lag = lag;
      this.slice = slice;
      this.clock = clock;
    }

    /** Every (re)start, e.g. after a rebuild emptied the tables, reads the counts afresh. */
    @Override
    public CompletionStage<Done> start() {
      counts.clear();
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> process(List<EventEnvelope<Customer.Event>> envelopes) {
      List<Transition> transitions = new ArrayList<>();
      for (EventEnvelope<Customer.Event> envelope : envelopes) {
        String customerId = customerId(envelope.persistenceId());
        if (envelope.event() instanceof Customer.SegmentEntered e) {
          transitions.add(new Transition(e.segment(), store.bucketOf(customerId), customerId, true, e.at(), envelope, e.cause()));
        } else if (envelope.event() instanceof Customer.SegmentExited e) {
          transitions.add(new Transition(e.segment(), store.bucketOf(customerId), customerId, false, e.at(), envelope, e.cause()));
        }
      }
      Map<String, List<Transition>> byPartition = new LinkedHashMap<>();
      for (Transition t : transitions) byPartition.computeIfAbsent(t.segment() + "/" + t.bucket(), k -> new ArrayList<>()).add(t);

      // Bounded: all slices share the driver's connection, whose in-flight requests are limited.
      return inWaves(transitions, this::record)
          .thenCompose(d -> inWaves(new ArrayList<>(byPartition.values()), this::applyPartition))
          .thenApply(d -> {
        if (!envelopes.isEmpty()) lag.processed(slice, Instant.ofEpochMilli(envelopes.get(envelopes.size() - 1).timestamp()), envelopes.size());
        return Done.getInstance();
      });
    }

    /** Runs {@code write} for every item, {@link #PARALLELISM} at a time. */
    private static <T> CompletionStage<Done> inWaves(List<T> items, java.util.function.Function<T, CompletionStage<Done>> write) {
      CompletionStage<Done> done = CompletableFuture.completedFuture(Done.getInstance());
      for (int from = 0; from < items.size(); from += PARALLELISM) {
        List<T> wave = items.subList(from, Math.min(items.size(), from + PARALLELISM));
        done = done.thenCompose(d -> CompletableFuture.allOf(wave.stream().map(item -> write.apply(item).toCompletableFuture())
            .toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance()));
      }
      return done;
    }

    /** The transitions of one (segment, bucket), in journal order. */
    private CompletionStage<Done> applyPartition(List<Transition> partition) {
      String segment = partition.get(0).segment();
      int bucket = partition.get(0).bucket();
      String key = segment + "/" + bucket;
      List<String> customers = partition.stream().map(Transition::customerId).distinct().toList();
      CompletionStage<Set<String>> present = store.membersAmong(segment, bucket, customers);
      Long cached = counts.get(key);
      CompletionStage<Long> count = cached != null ? CompletableFuture.completedFuture(cached) : store.bucketCount(segment, bucket);
      return present.thenCombine(count, (members, was) -> {
        // The last transition of each customer decides; only real changes are written.
        Map<String, Transition> last = new LinkedHashMap<>();
        for (Transition t : partition) last.put(t.customerId(), t);
        List<SegmentStore.MemberChange> changes = new ArrayList<>();
        for (Transition t : last.values()) {
          if (t.entered() != members.contains(t.customerId())) changes.add(new SegmentStore.MemberChange(t.customerId(), t.entered(), t.at()));
        }
        return new Object[] {changes, was};
      }).thenCompose(pair -> {
        @SuppressWarnings("unchecked")
        List<SegmentStore.MemberChange> changes = (List<SegmentStore.MemberChange>) pair[0];
        long was = (Long) pair[1];
        CompletionStage<Long> done = CompletableFuture.completedFuture(was);
        for (int from = 0; from < changes.size(); from += BATCH_ROWS) {
          List<SegmentStore.MemberChange> chunk = changes.subList(from, Math.min(changes.size(), from + BATCH_ROWS));
          done = done.thenCompose(before -> {
            long after = before + chunk.stream().mapToLong(c -> c.add() ? 1 : -1).sum();
            return store.changeMembers(segment, bucket, chunk, after, clock.instant()).thenApply(d -> {
              counts.put(key, after);
              return after;
            });
          });
        }
        return done.thenApply(c -> Done.getInstance());
      });
    }

    private CompletionStage<Done> record(Transition t) {
      if (!(t.envelope().offset() instanceof TimeBasedUUID offset)) {
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      return store.recordChange(new SegmentChange(t.segment(), slice, offset.value(), t.customerId(), t.envelope().sequenceNr(),
          t.entered() ? "entered" : "exited", t.at(), t.cause().trigger(), t.cause().ruleVersion(), t.cause().values()));
    }
  }
}
