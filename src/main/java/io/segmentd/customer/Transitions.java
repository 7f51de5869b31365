package io.segmentd.customer;

import io.segmentd.customer.Customer.Cause;
import io.segmentd.customer.Customer.Event;
import io.segmentd.customer.Customer.SegmentEntered;
import io.segmentd.customer.Customer.SegmentExited;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.SegmentEngine;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The segment transitions of one command, and the memberships they lead to. {@code reached}: the
 * instant a catch-up walked to; {@code complete}: it reached the instant asked for (else it stopped
 * after its steps, and goes on from {@code reached} in the next command).
 */
record Transitions(List<Event> events, Map<String, Membership> memberships, Instant reached, boolean complete) {

  /**
   * Walks the instants at which {@code profile}'s memberships change by time alone, from
   * {@code since} up to {@code now}, emitting each change at its exact instant; at most
   * {@code maxSteps} evaluations. {@code first}: the next change as of {@code since}, already known.
   */
  static Transitions catchUp(SegmentEngine engine, Optional<Instant> first, Profile profile, Map<String, Membership> current,
                             Instant since, Instant now, int maxSteps) {
    Transitions result = new Transitions(List.of(), current, now, true);
    if (since == null || profile.isEmpty()) return result;
    Optional<Instant> next = first;
    for (int step = 0; next.isPresent() && !next.get().isAfter(now); step++) {
      Instant at = next.get();
      if (step == maxSteps) return new Transitions(result.events, result.memberships, at.minusNanos(1), false);
      result = result.then(engine, profile, at, Cause.TIME);
      next = engine.nextChange(profile, at);
    }
    return result;
  }

  /** Adds the transitions from these memberships to those of {@code profile} at {@code at}. */
  Transitions then(SegmentEngine engine, Profile profile, Instant at, String trigger) {
    Map<String, Membership> evaluated = engine.evaluate(profile, at);
    List<Event> out = new ArrayList<>(events);
    for (Membership was : memberships.values()) {
      if (!evaluated.containsKey(was.segment())) {
        Map<String, String> values = evaluated.values().stream()
            .filter(m -> m.family().equals(was.family()))
            .map(Membership::values).findFirst().orElse(Map.of());
        out.add(new SegmentExited(was.segment(), at, new Cause(trigger, engine.versionOf(was.segment()), values)));
      }
    }
    for (Membership is : evaluated.values()) {
      if (!memberships.containsKey(is.segment())) {
        out.add(new SegmentEntered(is.segment(), at, new Cause(trigger, engine.versionOf(is.segment()), is.values())));
      }
    }
    return new Transitions(List.copyOf(out), evaluated, at, true);
  }
}
