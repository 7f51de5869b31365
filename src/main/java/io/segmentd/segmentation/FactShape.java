package io.segmentd.segmentation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the configured rules read of events, so the profile keeps exactly that: the properties
 * events are told apart by ({@code dimensions}), the numeric properties rules sum or compare
 * ({@code measures}), the absolute instants custom rules start or end at ({@code boundaries}),
 * and the longest rolling window. Events are grouped in steps of {@code resolution} of event time.
 */
public record FactShape(Duration resolution, Set<String> dimensions, Set<String> measures, List<Instant> boundaries,
                        Duration longestWindow) {

  /** Every timezone offset in use is a whole number of quarter hours: a step that divides one lies in one local hour. */
  private static final long QUARTER_HOUR_NANOS = Duration.ofMinutes(15).toNanos();

  public FactShape {
    long step = resolution.toNanos();
    if (step <= 0 || QUARTER_HOUR_NANOS % step != 0) {
      throw new IllegalArgumentException("segmentd.profile.resolution must divide 15 minutes (e.g. 1m, 5m, 15m), was " + resolution);
    }
    dimensions = Collections.unmodifiableSet(new TreeSet<>(dimensions));
    measures = Collections.unmodifiableSet(new TreeSet<>(measures));
    boundaries = List.copyOf(new TreeSet<>(boundaries));
  }

  /** The end of the step holding {@code t}: steps are {@code (k·r, (k+1)·r]}, so an instant on a step's end belongs to it. */
  public Instant stepEnd(Instant t) {
    long step = resolution.toNanos();
    long nanos = Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L) + t.getNano();
    long end = Math.floorDiv(nanos - 1, step) * step + step;
    return Instant.ofEpochSecond(Math.floorDiv(end, 1_000_000_000L), Math.floorMod(end, 1_000_000_000L));
  }

  /** How many boundaries lie at or before {@code t}. */
  int era(Instant t) {
    int era = 0;
    for (Instant boundary : boundaries) {
      if (boundary.isAfter(t)) break;
      era++;
    }
    return era;
  }

  /** Collects what each family and rule reads. */
  public static final class Builder {
    private final Duration resolution;
    private final Set<String> dimensions = new TreeSet<>();
    private final Set<String> measures = new TreeSet<>();
    private final List<Instant> boundaries = new ArrayList<>();
    private Duration longestWindow = Duration.ZERO;

    public Builder(Duration resolution) {
      this.resolution = resolution;
    }

    public Duration resolution() {
      return resolution;
    }

    public Builder dimension(String property) {
      dimensions.add(property);
      return this;
    }

    public Builder measure(String property) {
      measures.add(property);
      return this;
    }

    public Builder boundary(Instant instant) {
      boundaries.add(instant);
      return this;
    }

    public Builder window(Duration window) {
      if (window.compareTo(resolution) < 0) {
        throw new IllegalArgumentException("a rolling window (" + window + ") is shorter than segmentd.profile.resolution ("
            + resolution + ")");
      }
      if (window.compareTo(longestWindow) > 0) longestWindow = window;
      return this;
    }

    public FactShape build() {
      return new FactShape(resolution, dimensions, measures, boundaries, longestWindow);
    }
  }
}
