package io.segmentd.segmentation;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/** Candidate instants of a change, and the search for the first at which one really happens. */
final class NextChange {
  /** Thresholds of the form "longer than d" flip one tick after the edge. */
  static final Duration TICK = Duration.ofNanos(1);

  private NextChange() {}

  /** The distinct exits from a rolling window of the groups that match ({@code stepEnd + window}), ascending. */
  static List<Instant> exits(List<Fact> inWindow, java.util.function.Predicate<Fact> filter, Duration window) {
    // Groups come in order of their steps: equal exits are neighbours.
    List<Instant> exits = new java.util.ArrayList<>();
    Instant previous = null;
    for (int i = 0; i < inWindow.size(); i++) {
      Fact fact = inWindow.get(i);
      if (fact.stepEnd() == null || !filter.test(fact) || fact.stepEnd().equals(previous)) continue;
      previous = fact.stepEnd();
      exits.add(previous.plus(window));
    }
    return exits;
  }

  /**
   * The first candidate in {@code (asOf, before)} at which {@code state} differs from its value at
   * {@code asOf}. A linear search looks at no more than {@code limit} candidates: when all of
   * those agree it answers the last one looked at, a wake-up that changes nothing but bounds the
   * work of one evaluation (the next one goes on from there).
   */
  static <T> Optional<Instant> firstDifference(Instant asOf, Instant before, List<Instant> candidates, Function<Instant, T> state,
                                               boolean monotone, int limit) {
    TreeSet<Instant> distinct = new TreeSet<>();
    for (Instant c : candidates) {
      if (c.isAfter(asOf) && (before == null || c.isBefore(before))) distinct.add(c);
    }
    if (distinct.isEmpty()) return Optional.empty();
    List<Instant> open = new java.util.ArrayList<>(distinct);
    if (open.isEmpty()) return Optional.empty();
    T now = state.apply(asOf);
    if (monotone) {
      int lo = 0;
      int hi = open.size();
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (state.apply(open.get(mid)).equals(now)) lo = mid + 1;
        else hi = mid;
      }
      return lo < open.size() ? Optional.of(open.get(lo)) : Optional.empty();
    }
    for (int i = 0; i < open.size(); i++) {
      if (!state.apply(open.get(i)).equals(now)) return Optional.of(open.get(i));
      if (i + 1 == limit && i + 1 < open.size()) return Optional.of(open.get(i));
    }
    return Optional.empty();
  }
}
