package io.segmentd.segmentation;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Collects candidate instants and keeps the earliest strictly after {@code asOf}. */
final class NextChange {
  /** Thresholds of the form "longer than d" flip one tick after the edge. */
  static final Duration TICK = Duration.ofNanos(1);

  private final Instant asOf;
  private Instant earliest;

  NextChange(Instant asOf) {
    this.asOf = asOf;
  }

  NextChange at(Instant candidate) {
    if (candidate != null && candidate.isAfter(asOf) && (earliest == null || candidate.isBefore(earliest))) {
      earliest = candidate;
    }
    return this;
  }

  /** A rolling window {@code (asOf - window, asOf]}: the oldest fact in it leaves at {@code at + window}. */
  NextChange windowExit(List<Fact> inWindow, Duration window) {
    if (!inWindow.isEmpty()) at(inWindow.get(0).at().plus(window));
    return this;
  }

  Optional<Instant> get() {
    return Optional.ofNullable(earliest);
  }
}
