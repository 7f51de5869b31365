package io.segmentd.replay;

import io.segmentd.customer.Customer;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One customer's decoded journal, and what replays derive from it with the domain core: the
 * profile the entity holds, the memberships its transitions recorded, and memberships evaluated
 * under any definitions.
 */
public record CustomerHistory(String customerId, List<Entry> entries) {

  /** A journal event with its sequence number and journal write time. */
  public record Entry(long sequenceNr, long writtenAtMillis, Customer.Event event) {}

  static String customerId(String persistenceId) {
    return persistenceId.substring(persistenceId.indexOf('|') + 1);
  }

  /**
   * The profile the entity holds. Recovery folds batch by batch; a fold does not depend on how
   * events are split into batches, only on the latest arrival, so every batch is folded in one
   * pass (one grouping of the facts rather than one per batch).
   */
  public Profile profile(ProfileSettings settings) {
    List<io.segmentd.segmentation.BehaviorEvent> events = new java.util.ArrayList<>();
    Instant latestArrival = null;
    for (Customer.EventsRecorded recorded : ownBatches()) {
      {
        events.addAll(recorded.events());
        // A batch without its arrival (older journals) counts as arriving with its newest event, as Profile.plus does.
        Instant arrival = recorded.recordedAt() != null ? recorded.recordedAt()
            : recorded.events().stream().map(io.segmentd.segmentation.BehaviorEvent::timestamp).max(Instant::compareTo).orElse(null);
        if (arrival != null && (latestArrival == null || arrival.isAfter(latestArrival))) latestArrival = arrival;
      }
    }
    return Profile.EMPTY.plus(events, latestArrival, settings);
  }

  /**
   * The profile of what happened at or before {@code asOf} (event time), as known at
   * {@code knownAt} (only batches recorded by then; null: everything recorded).
   */
  public Profile profileAsOf(Instant asOf, Instant knownAt, ProfileSettings settings) {
    return CustomerJournal.fold(entries.stream().map(Entry::event).toList(), asOf, knownAt, settings);
  }

  public long eventCount() {
    long count = 0;
    for (Customer.EventsRecorded recorded : ownBatches()) count += recorded.events().size();
    return count;
  }

  /** The batches of facts that are this customer's (none once it was merged into another). */
  private List<Customer.EventsRecorded> ownBatches() {
    return JournalFacts.batches(entries.stream().map(Entry::event).toList(), null);
  }

  /** The customer this one was merged into, or null (never merged, or erased since). */
  public String mergedInto() {
    String target = null;
    for (Entry entry : entries) {
      if (entry.event() instanceof Customer.MergedInto m) target = m.target();
      else if (entry.event() instanceof Customer.Erased) target = null;
    }
    return target;
  }

  /** The memberships the journal's transitions leave the customer in: segment -> instant entered. */
  public Map<String, Instant> recordedMemberships() {
    Map<String, Instant> members = new TreeMap<>();
    for (Entry entry : entries) {
      if (entry.event() instanceof Customer.SegmentEntered entered) members.put(entered.segment(), entered.at());
      else if (entry.event() instanceof Customer.SegmentExited exited) members.remove(exited.segment());
    }
    return members;
  }

  /** The instant the entity last evaluated its memberships at (as its state keeps it). */
  public Instant evaluatedAt() {
    Instant at = null;
    for (Entry entry : entries) {
      Instant next = entry.event() instanceof Customer.EventsRecorded e ? e.recordedAt()
          : entry.event() instanceof Customer.SegmentEntered e ? e.at()
          : entry.event() instanceof Customer.SegmentExited e ? e.at()
          : entry.event() instanceof Customer.MergedInto e ? e.recordedAt()
          : entry.event() instanceof Customer.Erased e ? e.recordedAt() : null;
      if (next != null && (at == null || next.isAfter(at))) at = next;
    }
    return at;
  }

  /**
   * The memberships a fold of the journal gives under {@code engine}, at the instant the entity
   * last evaluated: with the definitions the entity runs, exactly the memberships it recorded.
   */
  public Map<String, Membership> evaluate(SegmentEngine engine, ProfileSettings settings) {
    Instant at = evaluatedAt();
    // A merged customer's memberships ended with the merge (its facts are the other's).
    if (at == null || mergedInto() != null) return Map.of();
    Profile profile = profile(settings);
    // Nothing of its own (erased, or every fact merged away): the entity holds no membership either.
    if (profile.isEmpty()) return Map.of();
    Map<String, Membership> evaluated = new TreeMap<>(engine.evaluate(profile, at));
    // A stored definition's version counts once the customer adopted it (a backfill may not have reached it yet).
    java.util.Set<String> adopted = adoptedDefinitions();
    evaluated.keySet().removeIf(segment -> segment.indexOf('@') > 0 && !adopted.contains(segment));
    return evaluated;
  }

  /** The stored definitions (versioned ids) the customer's memberships were last evaluated with. */
  public java.util.Set<String> adoptedDefinitions() {
    java.util.Set<String> adopted = java.util.Set.of();
    for (Entry entry : entries) {
      if (entry.event() instanceof Customer.DefinitionsAdopted a) adopted = a.definitions();
    }
    return adopted;
  }

  public long lastSequenceNr() {
    return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).sequenceNr();
  }
}
