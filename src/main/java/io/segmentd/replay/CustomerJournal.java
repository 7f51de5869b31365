package io.segmentd.replay;

import io.segmentd.customer.Customer;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Reads one customer's journal: the facts as they were up to an instant, and the transitions
 * with their causes. The journal is the truth; this is how segments are back-dated and explained.
 */
public final class CustomerJournal {
  private final ActorSystem<?> system;
  private final CassandraReadJournal journal;
  private final io.segmentd.customer.EngineSource engines;
  private final ProfileSettings profileSettings;

  public CustomerJournal(ActorSystem<?> system, SegmentEngine engine, ProfileSettings profileSettings) {
    this(system, io.segmentd.customer.EngineSource.fixed(engine), profileSettings);
  }

  /** {@code engines}: the definitions to evaluate with at each request (stored ones change while the node runs). */
  public CustomerJournal(ActorSystem<?> system, io.segmentd.customer.EngineSource engines, ProfileSettings profileSettings) {
    this.system = system;
    this.journal = PersistenceQuery.get(system).getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    this.engines = engines;
    this.profileSettings = profileSettings;
  }

  /**
   * A recorded transition, in journal order: {@code at} in event time, {@code recordedAt} when it
   * was written; or a merge of another customer into this one ({@code merge}, the rest null).
   */
  public record Transition(long sequenceNr, String segment, String direction, Instant at, Instant recordedAt, Customer.Cause cause,
                           Merge merge) {
    Transition(long sequenceNr, String segment, String direction, Instant at, Instant recordedAt, Customer.Cause cause) {
      this(sequenceNr, segment, direction, at, recordedAt, cause, null);
    }
  }

  /** Another customer merged into this one: its id, the ids merged into it before, and the facts it brought. */
  public record Merge(long sequenceNr, String alias, java.util.Set<String> aliases, int events, Instant recordedAt) {
    public Map<String, String> values() {
      Map<String, String> values = new java.util.TreeMap<>();
      values.put("alias", alias);
      values.put("events", Integer.toString(events));
      if (!aliases.isEmpty()) values.put("aliases", String.join(",", aliases));
      return values;
    }

    static Merge of(long sequenceNr, Customer.AliasMerged m) {
      return new Merge(sequenceNr, m.alias(), m.aliases(), m.events(), m.recordedAt());
    }
  }

  /** The changes in event time, and the merges recorded. */
  /** {@code facts}: the customer's own events up to {@code to} (as recorded by {@code knownAt}), in the order recorded. */
  public record Timeline(List<EventTimeline.Change> changes, List<Merge> merges, List<BehaviorEvent> facts) {}

  /** Memberships as of {@code asOf}, from the facts whose event time is at or before it. */
  public record AsOf(Profile profile, Map<String, Membership> segments) {}

  public CompletionStage<List<EventEnvelope>> envelopes(String customerId) {
    // On the dispatcher: a continuation on the stage Pekko returns would start a thread (see Stages).
    return io.segmentd.common.Stages.on(journal.currentEventsByPersistenceId(Customer.persistenceId(customerId).id(), 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), system), system.executionContext());
  }

  /** Every customer with a journal (the read journal's persistence ids), sorted. */
  public CompletionStage<List<String>> customerIds() {
    String prefix = Customer.ENTITY_KEY.name() + "|";
    return io.segmentd.common.Stages.on(journal.currentPersistenceIds()
        .filter(id -> id.startsWith(prefix))
        .map(id -> id.substring(prefix.length()))
        .runWith(Sink.seq(), system), system.executionContext())
        .thenApply(ids -> ids.stream().sorted().toList());
  }

  /**
   * Hands each customer's journal events to {@code handler} (from any thread, {@code parallelism}
   * journals read at once); completes when all were handled.
   */
  public CompletionStage<org.apache.pekko.Done> forEach(List<String> customerIds, int parallelism,
                                                       java.util.function.BiConsumer<String, List<Object>> handler) {
    return io.segmentd.common.Stages.on(org.apache.pekko.stream.javadsl.Source.from(customerIds)
        .mapAsyncUnordered(parallelism, id -> envelopes(id).thenApply(envelopes -> {
          handler.accept(id, envelopes.stream().map(EventEnvelope::event).toList());
          return id;
        }))
        .runWith(Sink.ignore(), system), system.executionContext());
  }

  public CompletionStage<Optional<AsOf>> asOf(String customerId, Instant asOf) {
    return envelopes(customerId).thenApply(envelopes -> {
      if (envelopes.isEmpty()) return Optional.empty();
      Profile profile = fold(envelopes.stream().map(EventEnvelope::event).toList(), asOf, profileSettings);
      return Optional.of(new AsOf(profile, engines.current().evaluate(profile, asOf)));
    });
  }

  /**
   * The customer as of {@code asOf} from a fold of its journal up to it: every field (totals,
   * first and last seen, purchasing, segments) counts only facts at or before {@code asOf}
   * (before its first fact: zero events, no segments).
   */
  public CompletionStage<Optional<Customer.CustomerView>> viewAsOf(String customerId, Instant asOf) {
    return envelopes(customerId).thenApply(envelopes -> {
      // Unknown only without a journal: a customer asked about before its first fact is known, with nothing yet.
      if (envelopes.isEmpty()) return Optional.empty();
      Profile profile = fold(envelopes.stream().map(EventEnvelope::event).toList(), asOf, profileSettings);
      return Optional.of(Customer.CustomerView.of(customerId, asOf, profile, engines.current(), java.util.Set.of(), true));
    });
  }

  /** The timeline in event time up to {@code to} derived from the facts recorded by {@code knownAt} (null: all); see {@link EventTimeline}. */
  public CompletionStage<Optional<Timeline>> timeline(String customerId, Instant knownAt, Instant to) {
    return envelopes(customerId).thenApply(envelopes -> {
      if (envelopes.isEmpty()) return Optional.empty();
      List<Merge> merges = new ArrayList<>();
      for (EventEnvelope envelope : envelopes) {
        if (envelope.event() instanceof Customer.AliasMerged m && !m.recordedAt().isAfter(to)
            && (knownAt == null || !m.recordedAt().isAfter(knownAt))) {
          merges.add(Merge.of(envelope.sequenceNr(), m));
        }
      }
      List<Object> events = envelopes.stream().map(EventEnvelope::event).toList();
      List<BehaviorEvent> facts = new ArrayList<>();
      for (Customer.EventsRecorded recorded : JournalFacts.batches(events, knownAt)) {
        for (BehaviorEvent fact : recorded.events()) if (!fact.timestamp().isAfter(to)) facts.add(fact);
      }
      return Optional.of(new Timeline(EventTimeline.derive(events, engines.current(), profileSettings, knownAt, to), merges, facts));
    });
  }

  /** The customer's own facts in a journal (none of a customer merged away or erased). */
  public static List<BehaviorEvent> facts(List<?> journalEvents) {
    List<BehaviorEvent> facts = new ArrayList<>();
    for (Customer.EventsRecorded recorded : JournalFacts.batches(journalEvents, null)) facts.addAll(recorded.events());
    return facts;
  }

  /** The profile of the facts in {@code journalEvents} that happened at or before {@code asOf}. */
  public static Profile fold(List<?> journalEvents, Instant asOf, ProfileSettings settings) {
    return fold(journalEvents, asOf, null, settings);
  }

  /** As {@link #fold(List, Instant, ProfileSettings)}, counting only batches recorded by {@code knownAt} (null: all). */
  public static Profile fold(List<?> journalEvents, Instant asOf, Instant knownAt, ProfileSettings settings) {
    List<BehaviorEvent> facts = new ArrayList<>();
    for (Customer.EventsRecorded recorded : JournalFacts.batches(journalEvents, knownAt)) {
      for (BehaviorEvent fact : recorded.events()) {
        if (!fact.timestamp().isAfter(asOf)) facts.add(fact);
      }
    }
    return Profile.EMPTY.plus(facts, settings);
  }

  public CompletionStage<Optional<List<Transition>>> history(String customerId) {
    return envelopes(customerId).thenApply(envelopes -> {
      if (envelopes.isEmpty()) return Optional.empty();
      List<Transition> transitions = new ArrayList<>();
      for (EventEnvelope envelope : envelopes) {
        if (envelope.event() instanceof Customer.SegmentEntered e) {
          transitions.add(new Transition(envelope.sequenceNr(), e.segment(), "entered", e.at(), e.recordedAt(), e.cause()));
        } else if (envelope.event() instanceof Customer.SegmentExited e) {
          transitions.add(new Transition(envelope.sequenceNr(), e.segment(), "exited", e.at(), e.recordedAt(), e.cause()));
        } else if (envelope.event() instanceof Customer.AliasMerged m) {
          transitions.add(new Transition(envelope.sequenceNr(), null, "merged", m.recordedAt(), m.recordedAt(), null,
              Merge.of(envelope.sequenceNr(), m)));
        }
      }
      return Optional.of(transitions);
    });
  }
}
