package io.segmentd.query;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How far each slice of the read side is behind the journal: the age, when processed, of the
 * last transition it applied. Kept per node for the slices that run on it.
 */
public final class ProjectionLag {
  public record SliceLag(int slice, long lagMillis, Instant lastWrittenAt, Instant lastProcessedAt, long processed) {}

  private final Clock clock;
  private final Map<Integer, SliceLag> slices = new ConcurrentHashMap<>();

  public ProjectionLag(Clock clock) {
    this.clock = clock;
  }

  void processed(int slice, Instant writtenAt) {
    Instant now = clock.instant();
    slices.compute(slice, (s, was) -> new SliceLag(slice, Math.max(0, Duration.between(writtenAt, now).toMillis()), writtenAt, now,
        was == null ? 1 : was.processed() + 1));
  }

  public Map<Integer, SliceLag> snapshot() {
    return new TreeMap<>(slices);
  }
}
