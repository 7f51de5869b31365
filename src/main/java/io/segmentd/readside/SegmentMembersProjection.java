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
 * is kept by read-modify-write, and so does each segment's changes log of a slice, whose
 * positions the slice hands out.
 */
public final class SegmentMembersProjection {
  public static final String NAME = "segment-members";

  private SegmentMembersProjection() {}

  public static ProjectionId projectionId(int slice) {
    return ProjectionId.of(NAME, Customer.TAG_PREFIX + slice);
  }

  /** How many transitions a slice applies together, and how long it waits to fill a group. */
  public record Grouping(int size, java.time.Duration within) {}

  public static void init(ActorSystem<?> system, SegmentStore store, ReadSideLease lease, ProjectionLag lag, int slices, Grouping grouping,
                          Clock clock) {
    if (store.buckets() % slices != 0) {
      throw new IllegalArgumentException("segmentd.read-side.member-buckets (" + store.buckets()
          + ") must be a multiple of segmentd.customer.tag-slices (" + slices + ")");
    }
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, NAME, slices,
        slice -> ProjectionBehavior.create(CassandraProjection.groupedWithin(
                projectionId(slice),
                EventSourcedProvider.<Customer.Event>eventsByTag(system, CassandraReadJournal.Identifier(), Customer.TAG_PREFIX + slice),
                () -> new TransitionHandler(store, lease, lag, slice, clock))
            .withGroup(grouping.size(), grouping.within())),
        ShardedDaemonProcessSettings.create(system),
        Optional.of(ProjectionBehavior.stopMessage()));
  }

  static String customerId(String persistenceId) {
    return persistenceId.substring(persistenceId.indexOf('|') + 1);
  }

  /** One transition as the handler sees it. */
  record Transition(String segment, int bucket, String customerId, boolean entered, Instant at, Instant recordedAt,
                    EventEnvelope<Customer.Event> envelope, Customer.Cause cause) {}

  /**
   * Applies a group of transitions: appends those not logged yet to the changes logs, then per
   * (segment, bucket) one read of the members involved and logged batches of member rows plus
   * the new count. A group delivered again finds its transitions logged and its rows written, and
   * changes nothing.
   */
  static final class TransitionHandler extends Handler<List<EventEnvelope<Customer.Event>>> {
    /** Member rows per logged batch: well under Cassandra's batch size limits. */
    private static final int BATCH_ROWS = 40;
    /** Writes a slice keeps in flight at once. */
    private static final int PARALLELISM = 16;

    private final SegmentStore store;
    private final ReadSideLease lease;
    private final ProjectionLag lag;
    private final int slice;
    private final Clock clock;
    /** Counts this slice wrote, per segment/bucket; valid while this run lasts (it is their only writer). */
    private final Map<String, Long> counts = new java.util.concurrent.ConcurrentHashMap<>();
    /** Committed heads of this slice's changes logs, per segment, and the commits so far; read in {@link #start()}. */
    private final Map<String, Long> heads = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long headsVersion;

    TransitionHandler(SegmentStore store, ReadSideLease lease, ProjectionLag lag, int slice, Clock clock) {
      this.store = store;
      this.lease = lease;
      this.lag = lag;
      this.slice = slice;
      this.clock = clock;
    }

    /** Every (re)start, e.g. after a crash or a rebuild that emptied the tables, reads the counts and heads afresh. */
    @Override
    public CompletionStage<Done> start() {
      lag.started(slice);
      counts.clear();
      heads.clear();
      return store.changeHeads(slice).thenApply(committed -> {
        heads.putAll(committed.heads());
        headsVersion = committed.version();
        return Done.getInstance();
      });
    }

    @Override
    public CompletionStage<Done> stop() {
      lag.stopped(slice);
      return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> process(List<EventEnvelope<Customer.Event>> envelopes) {
      List<Transition> transitions = new ArrayList<>();
      for (EventEnvelope<Customer.Event> envelope : envelopes) {
        String customerId = customerId(envelope.persistenceId());
        if (envelope.event() instanceof Customer.SegmentEntered e) {
          transitions.add(new Transition(e.segment(), store.bucketOf(customerId), customerId, true, e.at(), e.recordedAt(), envelope, e.cause()));
        } else if (envelope.event() instanceof Customer.SegmentExited e) {
          transitions.add(new Transition(e.segment(), store.bucketOf(customerId), customerId, false, e.at(), e.recordedAt(), envelope, e.cause()));
        }
      }
      Map<String, List<Transition>> byPartition = new LinkedHashMap<>();
      for (Transition t : transitions) byPartition.computeIfAbsent(t.segment() + "/" + t.bucket(), k -> new ArrayList<>()).add(t);

      // Bounded: all slices share the driver's connection, whose in-flight requests are limited.
      // Nothing is applied while a rebuild rewrites the read side: the group fails and comes again.
      return lease.awaitFree().thenCompose(free -> log(transitions))
          .thenCompose(d -> inWaves(new ArrayList<>(byPartition.values()), this::applyPartition))
          .thenApply(d -> {
        if (!envelopes.isEmpty()) {
          EventEnvelope<Customer.Event> last = envelopes.get(envelopes.size() - 1);
          lag.processed(slice, ((org.apache.pekko.persistence.query.TimeBasedUUID) last.offset()).value(), Instant.ofEpochMilli(last.timestamp()),
              envelopes.size());
        }
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
        Set<String> left = new java.util.HashSet<>();
        for (Transition t : partition) {
          last.put(t.customerId(), t);
          if (!t.entered()) left.add(t.customerId());
        }
        List<SegmentStore.MemberChange> changes = new ArrayList<>();
        for (Transition t : last.values()) {
          boolean member = members.contains(t.customerId());
          if (t.entered() != member) {
            changes.add(new SegmentStore.MemberChange(t.customerId(), t.entered(), t.at(), true));
          } else if (t.entered() && left.contains(t.customerId())) {
            // Left and came back within the group: still a member, since its latest entry.
            changes.add(new SegmentStore.MemberChange(t.customerId(), true, t.at(), false));
          }
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
            long after = before + chunk.stream().mapToLong(SegmentStore.MemberChange::delta).sum();
            return store.changeMembers(segment, bucket, chunk, after, clock.instant()).thenApply(d -> {
              counts.put(key, after);
              return after;
            });
          });
        }
        return done.thenApply(c -> Done.getInstance());
      });
    }

    /**
     * Appends the group's transitions that are not logged yet to their segments' logs, at the
     * positions after the committed heads, and then commits the new heads. Readers read only up
     * to a committed head, so they never see a row that may still change, and a transition that
     * comes late (an older offset than one already logged) simply takes the next position.
     */
    private CompletionStage<Done> log(List<Transition> transitions) {
      return notYetLogged(transitions).thenCompose(fresh -> {
        if (fresh.isEmpty()) return CompletableFuture.completedFuture(Done.getInstance());
        Map<String, Long> next = new LinkedHashMap<>();
        List<SegmentStore.LogEntry> writes = new ArrayList<>();
        for (Transition t : fresh) {
          long position = next.merge(t.segment(), heads.getOrDefault(t.segment(), 0L) + 1, (last, one) -> last + 1);
          SegmentChange row = new SegmentChange(t.segment(), slice, position, t.customerId(), t.envelope().sequenceNr(),
              t.entered() ? "entered" : "exited", t.at(), t.recordedAt(), t.cause().trigger(), t.cause().ruleVersion(), t.cause().values());
          writes.add(new SegmentStore.LogEntry(row, t.bucket(), day(t)));
        }
        // Every row is written before any head moves over it (per log or key partition, one batch).
        return store.logChanges(writes, PARALLELISM)
            .thenCompose(d -> store.commitChangeHeads(slice, headsVersion, next))
            .thenApply(applied -> {
              if (!applied) {
                // Restarting re-reads the heads; until then, nothing of this group is committed.
                throw new IllegalStateException("changes log heads of slice " + slice + " were committed by another writer");
              }
              heads.putAll(next);
              headsVersion++;
              return Done.getInstance();
            });
      });
    }

    /**
     * The transitions of a group that the log does not hold yet, each once, in group order. A
     * group comes again after a crash, and so can many before it when the projection's committed
     * offset was a late event's older one; their transitions are found by key. A key row left by
     * an attempt that crashed before its commit can point at a position another transition has
     * since taken, so only the row at that position proves a transition logged.
     */
    private CompletionStage<List<Transition>> notYetLogged(List<Transition> transitions) {
      Map<String, List<Transition>> byKeyPartition = new LinkedHashMap<>();
      for (Transition t : transitions) byKeyPartition.computeIfAbsent(t.bucket() + "/" + day(t), k -> new ArrayList<>()).add(t);
      Map<SegmentStore.ChangeKey, SegmentStore.LoggedAt> found = new java.util.concurrent.ConcurrentHashMap<>();
      return inWaves(new ArrayList<>(byKeyPartition.values()), partition -> store.loggedChanges(partition.get(0).bucket(), day(partition.get(0)),
              partition.stream().map(Transition::customerId).distinct().toList())
          .thenApply(logged -> {
            found.putAll(logged);
            return Done.getInstance();
          }))
          .thenCompose(d -> {
            Map<String, List<Long>> claimed = new LinkedHashMap<>();
            for (Transition t : transitions) {
              SegmentStore.LoggedAt at = found.get(key(t));
              if (at != null && at.segment().equals(t.segment()) && at.position() <= heads.getOrDefault(t.segment(), 0L)) {
                claimed.computeIfAbsent(t.segment(), s -> new ArrayList<>()).add(at.position());
              }
            }
            Map<String, Map<Long, SegmentStore.ChangeKey>> rows = new java.util.concurrent.ConcurrentHashMap<>();
            return inWaves(new ArrayList<>(claimed.entrySet()), e -> store.changesAt(e.getKey(), slice, e.getValue()).thenApply(at -> {
              rows.put(e.getKey(), at);
              return Done.getInstance();
            })).thenApply(v -> {
              Set<SegmentStore.ChangeKey> seen = new java.util.HashSet<>();
              List<Transition> fresh = new ArrayList<>();
              for (Transition t : transitions) {
                SegmentStore.ChangeKey key = key(t);
                SegmentStore.LoggedAt at = found.get(key);
                boolean logged = at != null && key.equals(rows.getOrDefault(t.segment(), Map.of()).get(at.position()));
                if (!logged && seen.add(key)) fresh.add(t);
              }
              return fresh;
            });
          });
    }

    private static SegmentStore.ChangeKey key(Transition t) {
      return new SegmentStore.ChangeKey(t.customerId(), t.envelope().sequenceNr());
    }

    /** The day of the transition's journal write: the same for the event however often it is delivered. */
    private static int day(Transition t) {
      return (int) Math.floorDiv(t.envelope().timestamp(), 86_400_000L);
    }
  }
}
