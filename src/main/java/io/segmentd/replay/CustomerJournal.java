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
  private final SegmentEngine engine;
  private final ProfileSettings profileSettings;

  public CustomerJournal(ActorSystem<?> system, SegmentEngine engine, ProfileSettings profileSettings) {
    this.system = system;
    this.journal = PersistenceQuery.get(system).getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    this.engine = engine;
    this.profileSettings = profileSettings;
  }

  /** A recorded transition, in journal order. */
  public record Transition(long sequenceNr, String segment, String direction, Instant at, Customer.Cause cause) {}

  /** Memberships as of {@code asOf}, from the facts whose event time is at or before it. */
  public record AsOf(Profile profile, Map<String, Membership> segments) {}

  public CompletionStage<List<EventEnvelope>> envelopes(String customerId) {
    // On the dispatcher: a continuation on the stage Pekko returns would start a thread (see Stages).
    return io.segmentd.common.Stages.on(journal.currentEventsByPersistenceId(Customer.persistenceId(customerId).id(), 0, Long.MAX_VALUE)
        .runWith(Sink.seq(), system), system.executionContext());
  }

  public CompletionStage<Optional<AsOf>> asOf(String customerId, Instant asOf) {
    return envelopes(customerId).thenApply(envelopes -> {
      if (envelopes.isEmpty()) return Optional.empty();
      Profile profile = fold(envelopes.stream().map(EventEnvelope::event).toList(), asOf, profileSettings);
      return Optional.of(new AsOf(profile, engine.evaluate(profile, asOf)));
    });
  }

  /** The profile of the facts in {@code journalEvents} that happened at or before {@code asOf}. */
  public static Profile fold(List<?> journalEvents, Instant asOf, ProfileSettings settings) {
    List<BehaviorEvent> facts = new ArrayList<>();
    for (Object event : journalEvents) {
      if (event instanceof Customer.EventsRecorded recorded) {
        for (BehaviorEvent fact : recorded.events()) {
          if (!fact.timestamp().isAfter(asOf)) facts.add(fact);
        }
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
          transitions.add(new Transition(envelope.sequenceNr(), e.segment(), "entered", e.at(), e.cause()));
        } else if (envelope.event() instanceof Customer.SegmentExited e) {
          transitions.add(new Transition(envelope.sequenceNr(), e.segment(), "exited", e.at(), e.cause()));
        }
      }
      return Optional.of(transitions);
    });
  }
}
