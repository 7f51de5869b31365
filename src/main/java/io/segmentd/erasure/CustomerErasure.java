package io.segmentd.erasure;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import io.segmentd.common.Stages;
import io.segmentd.customer.Customer;
import io.segmentd.readside.SegmentStore;
import io.segmentd.replay.CustomerJournal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.cassandra.cleanup.Cleanup;
import org.apache.pekko.persistence.cassandra.cleanup.CleanupSettings;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.TimeBasedUUID;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import scala.jdk.javaapi.FutureConverters;

/**
 * Erases a customer, and every customer merged into it, from everything segmentd keeps: the
 * entity ends its memberships and writes a marker; once the read side has applied those exits
 * (its rows and counts are the projection's to change), the customer's changes-log rows are
 * emptied in place, its rows of the tag views deleted, its journal deleted up to the marker and
 * its snapshots deleted. The entity removes its own row from the re-evaluation schedule.
 * Every step can be run again: a DELETE that failed half way is simply repeated.
 */
public final class CustomerErasure {
  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final CassandraSession session;
  private final String keyspace;
  private final SegmentStore store;
  private final CustomerJournal journal;
  private final Settings settings;
  private final Duration askTimeout;
  private final int tagSlices;
  private final long tagBucketMillis;
  private final Cleanup cleanup;
  private final Executor executor;

  /**
   * {@code segmentd.erasure}: {@code refuseLater}, whether later events for an erased id are
   * refused (else they start a new history); how long to wait for the read side to apply the
   * exits, and how often to look.
   */
  public record Settings(boolean refuseLater, Duration readSideTimeout, Duration readSidePoll) {
    public static Settings fromConfig(Config erasure) {
      String later = erasure.getString("later-events");
      if (!later.equals("new-history") && !later.equals("refuse")) {
        throw new IllegalArgumentException("segmentd.erasure.later-events must be new-history or refuse, was '" + later + "'");
      }
      return new Settings(later.equals("refuse"), erasure.getDuration("read-side-timeout"), erasure.getDuration("read-side-poll"));
    }
  }

  /** What one erasure removed: the ids (the customer and its aliases), and per kind how much. */
  public record Result(String customerId, List<String> erased, long events, long transitions, long changesLogRows, String laterEvents) {}

  /** The read side has not applied the exits within the timeout: the journal is kept, and a repeat goes on. */
  public static final class ReadSideBehind extends io.segmentd.http.Unavailable {
    ReadSideBehind(String message) {
      super("erasure_incomplete", message);
    }
  }

  public CustomerErasure(ActorSystem<?> system, CassandraSession session, String keyspace, SegmentStore store, CustomerJournal journal,
                         Settings settings, Duration askTimeout, int tagSlices) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.session = session;
    this.keyspace = keyspace;
    this.store = store;
    this.journal = journal;
    this.settings = settings;
    this.askTimeout = askTimeout;
    this.tagSlices = tagSlices;
    Config plugin = system.settings().config().getConfig("pekko.persistence.cassandra");
    this.tagBucketMillis = bucketMillis(plugin.getString("events-by-tag.bucket-size"));
    // The tool only logs what it would delete unless told otherwise.
    this.cleanup = new Cleanup(Adapter.toClassic(system), new CleanupSettings(
        plugin.getConfig("cleanup").withValue("dry-run", ConfigValueFactory.fromAnyRef(false))));
    this.executor = system.executionContext();
  }

  private static long bucketMillis(String bucketSize) {
    return switch (bucketSize) {
      case "Day" -> 86_400_000L;
      case "Hour" -> 3_600_000L;
      case "Minute" -> 60_000L;
      case "Second" -> 1_000L;
      default -> throw new IllegalArgumentException("unknown events-by-tag.bucket-size '" + bucketSize + "'");
    };
  }

  public CompletionStage<Result> erase(String requested) {
    return Stages.on(sharding.entityRefFor(Customer.ENTITY_KEY, requested)
            .<Customer.Identity>askWithStatus(Customer.Resolve::new, askTimeout), executor)
        .thenCompose(identity -> {
          Set<String> ids = new LinkedHashSet<>();
          ids.add(identity.customerId());
          ids.addAll(identity.aliases());
          ids.add(requested);
          CompletableFuture<long[]> totals = CompletableFuture.completedFuture(new long[3]);
          // One at a time: the known customer first, so its aliases no longer send anything to it.
          for (String id : ids) {
            totals = totals.thenCompose(sum -> eraseOne(id).thenApply(one -> {
              for (int i = 0; i < 3; i++) sum[i] += one[i];
              return sum;
            }));
          }
          return totals.thenApply(sum -> new Result(identity.customerId(), List.copyOf(ids), sum[0], sum[1], sum[2],
              settings.refuseLater() ? "refuse" : "new-history"));
        });
  }

  /** Facts, transitions and changes-log rows erased for one id. */
  private CompletableFuture<long[]> eraseOne(String customerId) {
    String persistenceId = Customer.persistenceId(customerId).id();
    int slice = Math.floorMod(customerId.hashCode(), tagSlices);
    String tag = Customer.tagFor(customerId, tagSlices);
    return Stages.on(sharding.entityRefFor(Customer.ENTITY_KEY, customerId)
            .<Customer.Erasure>askWithStatus(replyTo -> new Customer.Erase(settings.refuseLater(), replyTo), askTimeout), executor)
        .thenCompose(erasure -> Stages.on(journal.envelopes(customerId), executor).thenCompose(envelopes -> {
          long facts = 0;
          Set<String> segments = new TreeSet<>();
          List<EventEnvelope> transitions = new ArrayList<>();
          for (EventEnvelope envelope : envelopes) {
            if (envelope.sequenceNr() >= erasure.erasedAt()) break;
            if (envelope.event() instanceof Customer.EventsRecorded recorded) facts += recorded.events().size();
            if (envelope.event() instanceof Customer.SegmentEntered e) segments.add(e.segment());
            if (envelope.event() instanceof Customer.SegmentExited e) segments.add(e.segment());
            if (envelope.event() instanceof Customer.SegmentEntered || envelope.event() instanceof Customer.SegmentExited) transitions.add(envelope);
          }
          long factCount = facts;
          Set<Integer> days = new TreeSet<>();
          for (EventEnvelope t : transitions) {
            // The day the read side filed the transition under: its journal write's (both readings of it, should they differ).
            days.add((int) Math.floorDiv(t.timestamp(), 86_400_000L));
            days.add((int) Math.floorDiv(writtenAt(t), 86_400_000L));
          }
          return readSideApplied(segments, customerId, Instant.now().plus(settings.readSideTimeout()))
              .thenCompose(done -> Stages.on(store.eraseChanges(customerId, slice, days), executor))
              .thenCompose(changes -> deleteTagViews(tag, persistenceId, transitions)
                  .thenCompose(d -> Stages.on(FutureConverters.asJava(cleanup.deleteEventsTo(persistenceId, erasure.erasedAt() - 1)), executor))
                  .thenCompose(d -> Stages.on(FutureConverters.asJava(cleanup.deleteAllSnapshots(persistenceId)), executor))
                  .thenApply(d -> new long[] {factCount, transitions.size(), changes}));
        }));
  }

  /** Completes once the customer is a member of none of {@code segments} on the read side; fails at {@code deadline}. */
  private CompletableFuture<Void> readSideApplied(Set<String> segments, String customerId, Instant deadline) {
    if (segments.isEmpty()) return CompletableFuture.completedFuture(null);
    return Stages.on(store.isMemberOfAny(segments, customerId), executor).thenCompose(member -> {
      if (!member) return CompletableFuture.completedFuture(null);
      if (Instant.now().isAfter(deadline)) {
        throw new ReadSideBehind("the read side has not yet applied the exits of customer '" + customerId + "' within "
            + settings.readSideTimeout() + " (segmentd.erasure.read-side-timeout); its journal is kept until it has: repeat the DELETE");
      }
      CompletableFuture<Void> later = new CompletableFuture<>();
      system.scheduler().scheduleOnce(settings.readSidePoll(), () -> readSideApplied(segments, customerId, deadline)
          .whenComplete((v, failure) -> {
            if (failure == null) later.complete(null);
            else later.completeExceptionally(failure instanceof java.util.concurrent.CompletionException c ? c.getCause() : failure);
          }), system.executionContext());
      return later;
    });
  }

  /** The journal row's timeuuid: the key of its tag view rows too. */
  private static UUID timeuuid(EventEnvelope envelope) {
    if (envelope.offset() instanceof TimeBasedUUID uuid) return uuid.value();
    throw new IllegalStateException("the journal query gave " + envelope.offset() + " where a timeuuid was expected");
  }

  private static long writtenAt(EventEnvelope envelope) {
    return io.segmentd.replay.JournalRow.epochMillis(timeuuid(envelope));
  }

  /** The customer's rows of the tag views, by their exact keys (the journal write time of each transition). */
  private CompletableFuture<Void> deleteTagViews(String tag, String persistenceId, List<EventEnvelope> transitions) {
    List<CompletableFuture<?>> deletes = new ArrayList<>();
    for (EventEnvelope t : transitions) {
      UUID timestamp = timeuuid(t);
      long bucket = Math.floorDiv(writtenAt(t), tagBucketMillis) * tagBucketMillis;
      deletes.add(Stages.on(session.executeWrite("DELETE FROM " + keyspace + ".tag_views WHERE tag_name = ? AND timebucket = ? AND timestamp = ? "
          + "AND persistence_id = ?", tag, bucket, timestamp, persistenceId), executor));
    }
    return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new));
  }
}
