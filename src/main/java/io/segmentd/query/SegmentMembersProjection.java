package io.segmentd.query;

import io.segmentd.customer.Customer;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
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
 * projection per slice, run by {@link ShardedDaemonProcess}. Every write is idempotent; a
 * (segment, bucket) partition has exactly one writer, so its count is kept by read-modify-write.
 */
public final class SegmentMembersProjection {
  public static final String NAME = "segment-members";

  private SegmentMembersProjection() {}

  public static ProjectionId projectionId(int slice) {
    return ProjectionId.of(NAME, Customer.TAG_PREFIX + slice);
  }

  public static void init(ActorSystem<?> system, SegmentStore store, ProjectionLag lag, int slices, Clock clock) {
    if (store.buckets() % slices != 0) {
      throw new IllegalArgumentException("segmentd.read-side.member-buckets (" + store.buckets()
          + ") must be a multiple of segmentd.customer.tag-slices (" + slices + ")");
    }
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, NAME, slices,
        slice -> ProjectionBehavior.create(CassandraProjection.atLeastOnce(
            projectionId(slice),
            EventSourcedProvider.<Customer.Event>eventsByTag(system, CassandraReadJournal.Identifier(), Customer.TAG_PREFIX + slice),
            () -> new TransitionHandler(store, lag, slice, clock))),
        ShardedDaemonProcessSettings.create(system),
        Optional.of(ProjectionBehavior.stopMessage()));
  }

  static String customerId(String persistenceId) {
    return persistenceId.substring(persistenceId.indexOf('|') + 1);
  }

  /** Applies one transition at a time; a redelivered one changes nothing. */
  static final class TransitionHandler extends Handler<EventEnvelope<Customer.Event>> {
    private final SegmentStore store;
    private final ProjectionLag lag;
    private final int slice;
    private final Clock clock;
    /** Counts this slice wrote, per segment/bucket; valid while this run lasts (it is their only writer). */
    private final Map<String, Long> counts = new HashMap<>();

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
    public CompletionStage<Done> process(EventEnvelope<Customer.Event> envelope) {
      String customerId = customerId(envelope.persistenceId());
      CompletionStage<Done> applied;
      // The changes row does not depend on the membership: both writes go out together.
      if (envelope.event() instanceof Customer.SegmentEntered entered) {
        applied = apply(entered.segment(), customerId, true, entered.at())
            .thenCombine(record(envelope, customerId, entered.segment(), "entered", entered.at(), entered.cause()), (a, b) -> a);
      } else if (envelope.event() instanceof Customer.SegmentExited exited) {
        applied = apply(exited.segment(), customerId, false, exited.at())
            .thenCombine(record(envelope, customerId, exited.segment(), "exited", exited.at(), exited.cause()), (a, b) -> a);
      } else {
        applied = CompletableFuture.completedFuture(Done.getInstance());
      }
      return applied.thenApply(d -> {
        lag.processed(slice, Instant.ofEpochMilli(envelope.timestamp()));
        return d;
      });
    }

    private CompletionStage<Done> apply(String segment, String customerId, boolean entered, Instant at) {
      int bucket = store.bucketOf(customerId);
      return store.isMember(segment, bucket, customerId).thenCompose(present -> {
        if (present == entered) return CompletableFuture.completedFuture(Done.getInstance());
        String key = segment + "/" + bucket;
        Long cached = counts.get(key);
        CompletionStage<Long> count = cached != null ? CompletableFuture.completedFuture(cached) : store.bucketCount(segment, bucket);
        return count.thenCompose(was -> {
          long now = was + (entered ? 1 : -1);
          return store.changeMember(segment, bucket, customerId, entered, at, now, clock.instant())
              .thenApply(d -> {
                counts.put(key, now);
                return d;
              });
        });
      });
    }

    private CompletionStage<Done> record(EventEnvelope<Customer.Event> envelope, String customerId, String segment, String direction,
                                         Instant at, Customer.Cause cause) {
      if (!(envelope.offset() instanceof TimeBasedUUID offset)) {
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      return store.recordChange(new SegmentChange(segment, slice, offset.value(), customerId, envelope.sequenceNr(), direction, at,
          cause.trigger(), cause.ruleVersion(), cause.values()));
    }
  }
}
