package io.segmentd.customer;

import io.segmentd.customer.Customer.Cause;
import io.segmentd.customer.Customer.Event;
import io.segmentd.customer.Customer.SegmentEntered;
import io.segmentd.customer.Customer.SegmentExited;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The segment transitions of one command, and the memberships they lead to. {@code reached}: the
 * instant a catch-up walked to; {@code complete}: it reached the instant asked for (else it stopped
 * after its steps, and goes on from {@code reached} in the next command). {@code recordedAt}: the
 * entity's clock for this command, the second time of every transition it writes.
 */
record Transitions(List<Event> events, Map<String, Membership> memberships, Instant reached, boolean complete,
                   Instant recordedAt) {

  /**
   * Distinct event instants of one batch walked one by one; the rest of a bigger batch is folded
   * at once at its latest instant (one evaluation and one fold per instant: this bounds the work of
   * one command, and a batch is rarely that spread out).
   */
  static final int MAX_WALKED_INSTANTS = 64;

  /** The stored definitions an engine evaluates (their ids carry a version: {@code custom:<name>@<version>}). */
  static Set<String> storedDefinitions(SegmentEngine engine) {
    Set<String> ids = new java.util.TreeSet<>();
    for (var definition : engine.custom().definitions()) {
      if (definition.id().indexOf('@') > 0) ids.add(definition.id());
    }
    return ids;
  }

  /**
   * Adopts the stored definitions {@code engine} evaluates when they differ from those the
   * memberships were evaluated with ({@code adopted}): a version no longer evaluated (retired or
   * deleted) is left, a new one entered where it holds at {@code at}, both with the cause
   * {@link Cause#DEFINITION} naming the version, and the new set recorded.
   */
  Transitions adopt(SegmentEngine engine, Profile profile, Set<String> adopted, Instant at) {
    Set<String> live = storedDefinitions(engine);
    if (live.equals(adopted)) return this;
    List<Event> out = new ArrayList<>(events);
    Map<String, Membership> next = new TreeMap<>(memberships);
    for (String segment : adopted) {
      if (!live.contains(segment) && next.remove(segment) != null) {
        out.add(new Customer.SegmentExited(segment, at, new Cause(Cause.DEFINITION, versionIn(segment), Map.of()), recordedAt));
      }
    }
    Map<String, Membership> evaluated = profile.isEmpty() ? Map.of() : engine.evaluate(profile, at);
    for (String segment : live) {
      Membership member = evaluated.get(segment);
      if (!adopted.contains(segment) && member != null && !next.containsKey(segment)) {
        out.add(new Customer.SegmentEntered(segment, at, new Cause(Cause.DEFINITION, engine.versionOf(segment), member.values()), recordedAt));
        next.put(segment, member);
      }
    }
    out.add(new Customer.DefinitionsAdopted(Set.copyOf(live), recordedAt));
    return new Transitions(List.copyOf(out), next, reached, complete, recordedAt);
  }

  private static int versionIn(String segment) {
    return Integer.parseInt(segment.substring(segment.indexOf('@') + 1));
  }

  /** No transitions yet, from these memberships, written at {@code recordedAt}. */
  static Transitions from(Map<String, Membership> current, Instant recordedAt) {
    return new Transitions(List.of(), current, recordedAt, true, recordedAt);
  }

  /**
   * Walks the instants at which {@code profile}'s memberships change by time alone, from
   * {@code since} up to {@code until}, emitting each change at its exact instant; at most
   * {@code maxSteps} evaluations. {@code first}: the next change as of {@code since}, already known.
   */
  Transitions catchUp(SegmentEngine engine, Optional<Instant> first, Profile profile, Instant since, Instant until, int maxSteps) {
    Transitions result = new Transitions(events, memberships, until, true, recordedAt);
    if (since == null || profile.isEmpty()) return result;
    Optional<Instant> next = first;
    for (int step = 0; next.isPresent() && !next.get().isAfter(until); step++) {
      Instant at = next.get();
      if (step == maxSteps) return new Transitions(result.events, result.memberships, at.minusNanos(1), false, recordedAt);
      result = result.then(engine, profile, at, Cause.TIME);
      next = engine.nextChange(profile, at);
    }
    return new Transitions(result.events, result.memberships, until, true, recordedAt);
  }

  /**
   * The event-time walk of a batch that arrives in order (none of its events before the instant
   * the memberships were last evaluated): from its earliest event up to {@code now}, every change
   * at its own instant. At each distinct event instant the batch's events up to it are folded into
   * {@code before} (so the profile evaluated there holds only facts at or before it) and the change
   * is caused by the events at that instant; between them, and after the last up to {@code now},
   * the changes time alone causes (found by {@link SegmentEngine#nextChange}), caused by
   * {@code time}. At most {@code maxSteps} time-caused evaluations: past them, the next evaluation
   * (the next event instant, or {@code now}) carries the net change. Events after {@code now}
   * are left out: they count when their time comes.
   */
  Transitions walk(SegmentEngine engine, Profile before, List<BehaviorEvent> fresh, Instant now, ProfileSettings settings,
                   int maxSteps) {
    NavigableMap<Instant, List<BehaviorEvent>> instants = instants(fresh, now);
    Transitions result = this;
    Profile profile = before;
    Instant walked = null;
    int[] budget = {maxSteps};
    for (Map.Entry<Instant, List<BehaviorEvent>> instant : instants.entrySet()) {
      Instant at = instant.getKey();
      if (walked != null) result = result.timeChanges(engine, profile, walked, at.minusNanos(1), budget);
      profile = profile.plus(instant.getValue(), at, settings);
      result = result.then(engine, profile, at, triggerOf(instant.getValue()));
      walked = at;
    }
    if (walked == null) return new Transitions(result.events, result.memberships, now, true, recordedAt);
    Transitions tail = result.timeChanges(engine, profile, walked, now, budget);
    // Cut short: the net change up to now, at now.
    return tail.complete() ? new Transitions(tail.events, tail.memberships, now, true, recordedAt)
        : tail.then(engine, profile, now, Cause.TIME);
  }

  /** The time-caused changes after {@code since} up to {@code until}, spending at most {@code budget[0]} evaluations. */
  private Transitions timeChanges(SegmentEngine engine, Profile profile, Instant since, Instant until, int[] budget) {
    Transitions result = this;
    Optional<Instant> next = engine.nextChange(profile, since);
    while (next.isPresent() && !next.get().isAfter(until)) {
      if (budget[0] == 0) return new Transitions(result.events, result.memberships, next.get().minusNanos(1), false, recordedAt);
      budget[0]--;
      result = result.then(engine, profile, next.get(), Cause.TIME);
      next = engine.nextChange(profile, next.get());
    }
    return new Transitions(result.events, result.memberships, until, true, recordedAt);
  }

  /**
   * A batch with an event earlier than the last evaluation (late, out of order, a past history
   * imported now): only the net transitions from these memberships to those of {@code after} at
   * {@code now}, each stamped where the walk from {@code t0} to {@code now} over {@code after}
   * (its facts and the changes time causes, at most {@code maxSteps} evaluations) finds it: an
   * entry at the start of its final run, an exit where the membership ended; {@code t0} when the
   * walk finds no change of that segment, {@code now} when it was cut short before finding it.
   */
  Transitions net(SegmentEngine engine, Profile after, Instant t0, Instant now, String trigger, int maxSteps) {
    Map<String, Membership> target = engine.evaluate(after, now);
    // The common live case (a batch a little behind the last evaluation that changes nothing):
    // there is no transition to stamp, so no walk to find where.
    if (target.keySet().equals(memberships.keySet())) return new Transitions(events, target, now, true, recordedAt);
    Map<String, Membership> walkedTo = engine.evaluate(after, t0);
    Map<String, Instant> lastChange = new HashMap<>();
    Map<String, Membership> enteredWith = new HashMap<>(walkedTo);
    Optional<Instant> next = engine.nextChange(after, t0);
    for (int step = 0; next.isPresent() && !next.get().isAfter(now); step++) {
      if (step == maxSteps) {
        Set<String> unresolved = new HashSet<>(walkedTo.keySet());
        unresolved.addAll(target.keySet());
        for (String segment : unresolved) {
          if (walkedTo.containsKey(segment) != target.containsKey(segment)) lastChange.put(segment, now);
        }
        enteredWith.putAll(target);
        break;
      }
      Instant at = next.get();
      Map<String, Membership> evaluated = engine.evaluate(after, at);
      for (Membership m : evaluated.values()) {
        if (!walkedTo.containsKey(m.segment())) {
          lastChange.put(m.segment(), at);
          enteredWith.put(m.segment(), m);
        }
      }
      for (String was : walkedTo.keySet()) {
        if (!evaluated.containsKey(was)) lastChange.put(was, at);
      }
      walkedTo = evaluated;
      next = engine.nextChange(after, at);
    }
    List<Event> out = new ArrayList<>(events);
    for (Membership was : memberships.values()) {
      if (!target.containsKey(was.segment())) {
        Instant at = lastChange.getOrDefault(was.segment(), t0);
        Map<String, String> values = engine.exitValues(was.segment(), after, at, engine.evaluate(after, at));
        out.add(new SegmentExited(was.segment(), at, new Cause(trigger, engine.versionOf(was.segment()), values), recordedAt));
      }
    }
    for (Membership is : target.values()) {
      if (!memberships.containsKey(is.segment())) {
        Instant at = lastChange.getOrDefault(is.segment(), t0);
        Map<String, String> values = enteredWith.getOrDefault(is.segment(), is).values();
        out.add(new SegmentEntered(is.segment(), at, new Cause(trigger, engine.versionOf(is.segment()), values), recordedAt));
      }
    }
    return new Transitions(List.copyOf(out), target, now, true, recordedAt);
  }

  /** Adds the transitions from these memberships to those of {@code profile} at {@code at}. */
  Transitions then(SegmentEngine engine, Profile profile, Instant at, String trigger) {
    Map<String, Membership> evaluated = engine.evaluate(profile, at);
    List<Event> out = new ArrayList<>(events);
    for (Membership was : memberships.values()) {
      if (!evaluated.containsKey(was.segment())) {
        Map<String, String> values = engine.exitValues(was.segment(), profile, at, evaluated);
        out.add(new SegmentExited(was.segment(), at, new Cause(trigger, engine.versionOf(was.segment()), values), recordedAt));
      }
    }
    for (Membership is : evaluated.values()) {
      if (!memberships.containsKey(is.segment())) {
        out.add(new SegmentEntered(is.segment(), at, new Cause(trigger, engine.versionOf(is.segment()), is.values()), recordedAt));
      }
    }
    return new Transitions(List.copyOf(out), evaluated, at, true, recordedAt);
  }

  /**
   * The batch's events at or before {@code now} by distinct event instant, ascending; past
   * {@link #MAX_WALKED_INSTANTS} instants the rest join the latest.
   */
  static NavigableMap<Instant, List<BehaviorEvent>> instants(List<BehaviorEvent> fresh, Instant now) {
    TreeMap<Instant, List<BehaviorEvent>> byInstant = new TreeMap<>();
    for (BehaviorEvent event : fresh) {
      if (!event.timestamp().isAfter(now)) byInstant.computeIfAbsent(event.timestamp(), t -> new ArrayList<>()).add(event);
    }
    if (byInstant.size() <= MAX_WALKED_INSTANTS) return byInstant;
    TreeMap<Instant, List<BehaviorEvent>> bounded = new TreeMap<>();
    List<BehaviorEvent> rest = new ArrayList<>();
    for (Map.Entry<Instant, List<BehaviorEvent>> e : byInstant.entrySet()) {
      if (bounded.size() < MAX_WALKED_INSTANTS - 1) bounded.put(e.getKey(), e.getValue());
      else rest.addAll(e.getValue());
    }
    bounded.put(byInstant.lastKey(), rest);
    return bounded;
  }

  /**
   * What caused the changes at one event instant: the greatest message id among the events at it,
   * so the choice does not depend on the order they arrived in (a replay of the journal makes the same).
   */
  static String triggerOf(List<BehaviorEvent> atOneInstant) {
    return atOneInstant.stream().map(BehaviorEvent::messageId).max(String::compareTo).orElseThrow();
  }
}
