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

  /** The distinct exits from a rolling window of these groups ({@code stepEnd + window}), ascending. */
  static List<Instant> exits(List<Fact> inWindow, Duration window) {
    TreeSet<Instant> exits = new TreeSet<>();
    for (Fact fact : inWindow) {
      if (fact.stepEnd() != null) exits.add(fact.stepEnd().plus(window));
    }
    return List.copyOf(exits);
  }

  /**
   * The first candidate in {@code (asOf, before)} at which {@code state} differs from its value at
   * {@code asOf}. A linear search looks at no more than {@code limit} candidates: when all of
   * those agree it answers the last one looked at, a wake-up that changes nothing but bounds the
   * work of one evaluation (the next one goes on from there).
   */
  static <T> Optional<Instant> firstDifference(Instant asOf, Instant before, List<Instant> candidates, Function<Instant, T> state,
                                               boolean monotone, int limit) {
    List<Instant> open = candidates.stream()
        .filter(c -> c.isAfter(asOf) && (before == null || c.isBefore(before))).distinct().sorted().toList();
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
