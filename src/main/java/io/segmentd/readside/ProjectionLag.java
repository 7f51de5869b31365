package io.segmentd.readside;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
  private final MeterRegistry registry;
  private final Map<Integer, SliceLag> slices = new ConcurrentHashMap<>();

  public ProjectionLag(Clock clock, MeterRegistry registry) {
    this.clock = clock;
    this.registry = registry;
  }

  void processed(int slice, Instant writtenAt, int transitions) {
    Instant now = clock.instant();
    // One handler per slice calls this, one transition at a time.
    SliceLag was = slices.get(slice);
    SliceLag next = new SliceLag(slice, Math.max(0, Duration.between(writtenAt, now).toMillis()), writtenAt, now,
        was == null ? transitions : was.processed() + transitions);
    slices.put(slice, next);
    if (was == null) {
      Gauge.builder("segmentd.projection.lag", slices, m -> m.containsKey(slice) ? m.get(slice).lagMillis() / 1000.0 : 0)
          .tag("slice", Integer.toString(slice)).baseUnit("seconds")
          .description("age of the last transition when the read side applied it").register(registry);
      FunctionCounter.builder("segmentd.projection.transitions", slices, m -> m.containsKey(slice) ? m.get(slice).processed() : 0)
          .tag("slice", Integer.toString(slice)).description("transitions applied to the read side").register(registry);
    }
  }

  public Map<Integer, SliceLag> snapshot() {
    return new TreeMap<>(slices);
  }
}
