package io.segmentd.replay;

import io.segmentd.customer.Customer;
import io.segmentd.customer.Customer.Cause;
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
import java.util.TreeMap;

/**
 * A customer's segment timeline in event time, derived from the facts of its journal by the
 * domain core, whatever order and whenever they arrived: the facts sorted by event time and folded
 * instant by instant (so the profile evaluated at an instant holds only facts at or before it),
 * every membership change at each distinct event instant (caused by the greatest message id
 * there, as the live entity does) and each change time causes in between (found by {@link
 * SegmentEngine#nextChange}, caused by {@code time}). This is the timeline the entity persists
 * when the same history is sent live and in order; a history imported late reads as one.
 *
 * <p>Cost: one fold and one evaluation per distinct event instant, so a whole history's worth
 * (read on request, like the rest of a journal read; a known limit).
 */
public final class EventTimeline {
  private EventTimeline() {}

  /**
   * One change. {@code recordedAt}: when segmentd could first have known it, the latest
   * {@code recordedAt} of the facts folded so far (and, for a time-caused change, no earlier than
   * its own instant).
   */
  public record Change(String segment, String direction, Instant at, Instant recordedAt, Cause cause) {}

  /**
   * The timeline up to {@code to} of the facts in {@code journalEvents} recorded at or before
   * {@code knownAt} (all when null): what segmentd believed on day {@code knownAt}.
   */
  public static List<Change> derive(List<?> journalEvents, SegmentEngine engine, ProfileSettings settings, Instant knownAt,
                                    Instant to) {
    TreeMap<Instant, List<BehaviorEvent>> byInstant = new TreeMap<>();
    TreeMap<Instant, Instant> recordedBy = new TreeMap<>();
    for (Customer.EventsRecorded recorded : JournalFacts.batches(journalEvents, knownAt)) {
      for (BehaviorEvent fact : recorded.events()) {
        if (fact.timestamp().isAfter(to)) continue;
        byInstant.computeIfAbsent(fact.timestamp(), t -> new ArrayList<>()).add(fact);
        recordedBy.merge(fact.timestamp(), recorded.recordedAt(), (a, b) -> a.isAfter(b) ? a : b);
      }
    }
    Walk walk = new Walk(engine);
    Profile profile = Profile.EMPTY;
    Instant walked = null;
    for (Map.Entry<Instant, List<BehaviorEvent>> instant : byInstant.entrySet()) {
      Instant at = instant.getKey();
      if (walked != null) walk.timeChanges(profile, walked, at.minusNanos(1));
      profile = profile.plus(instant.getValue(), at, settings);
      walk.known = later(walk.known, recordedBy.get(at));
      String trigger = instant.getValue().stream().map(BehaviorEvent::messageId).max(String::compareTo).orElseThrow();
      walk.evaluate(profile, at, trigger, walk.known);
      walked = at;
    }
    if (walked != null) walk.timeChanges(profile, walked, to);
    return List.copyOf(walk.changes);
  }

  /** The memberships walked to, and the changes found on the way. */
  private static final class Walk {
    private final SegmentEngine engine;
    private final List<Change> changes = new ArrayList<>();
    private Map<String, Membership> memberships = Map.of();
    private Instant known;

    Walk(SegmentEngine engine) {
      this.engine = engine;
    }

    void timeChanges(Profile profile, Instant since, Instant until) {
      Optional<Instant> next = engine.nextChange(profile, since);
      while (next.isPresent() && !next.get().isAfter(until)) {
        Instant at = next.get();
        evaluate(profile, at, Cause.TIME, later(known, at));
        next = engine.nextChange(profile, at);
      }
    }

    /** Exits first, then entries, each in segment order: as the entity writes them. */
    void evaluate(Profile profile, Instant at, String trigger, Instant recordedAt) {
      Map<String, Membership> evaluated = engine.evaluate(profile, at);
      for (String was : memberships.keySet()) {
        if (!evaluated.containsKey(was)) {
          changes.add(new Change(was, "exited", at, recordedAt,
              new Cause(trigger, engine.versionOf(was), engine.exitValues(was, profile, at, evaluated))));
        }
      }
      for (Membership is : evaluated.values()) {
        if (!memberships.containsKey(is.segment())) {
          changes.add(new Change(is.segment(), "entered", at, recordedAt,
              new Cause(trigger, engine.versionOf(is.segment()), is.values())));
        }
      }
      memberships = evaluated;
    }
  }

  private static Instant later(Instant a, Instant b) {
    if (a == null) return b;
    if (b == null) return a;
    return a.isAfter(b) ? a : b;
  }
}
