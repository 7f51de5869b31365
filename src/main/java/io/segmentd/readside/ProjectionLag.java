package io.segmentd.readside;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How far each slice of the read side that runs on this node is behind the journal: the age of the
 * oldest transition written but not yet applied ({@link LagProbe} finds it), so zero when the slice
 * is caught up, however long ago its last transition was. Also what it applied, and when.
 */
public final class ProjectionLag {
  /**
   * {@code oldestPendingAt}: when the oldest transition not yet applied was written (null: none);
   * {@code lastWrittenAt}/{@code lastProcessedAt}: the last applied transition's write, and when it was applied.
   */
  public record SliceLag(int slice, long lagMillis, Instant oldestPendingAt, Instant lastWrittenAt, Instant lastProcessedAt,
                         long processed) {}

  private static final class Slice {
    volatile UUID offset;
    volatile Instant lastWrittenAt;
    volatile Instant lastProcessedAt;
    volatile long processed;
    volatile Instant oldestPendingAt;
    Gauge gauge;
    FunctionCounter counter;
  }

  private final Clock clock;
  private final MeterRegistry registry;
  private final Map<Integer, Slice> slices = new ConcurrentHashMap<>();

  public ProjectionLag(Clock clock, MeterRegistry registry) {
    this.clock = clock;
    this.registry = registry;
  }

  /** The slice's projection (re)started on this node. */
  void started(int slice) {
    slices.computeIfAbsent(slice, s -> {
      Slice state = new Slice();
      state.gauge = Gauge.builder("segmentd.projection.lag", state, this::lagSeconds)
          .tag("slice", Integer.toString(s)).baseUnit("seconds")
          .description("age of the oldest transition not yet applied to the read side (0: caught up)").register(registry);
      state.counter = FunctionCounter.builder("segmentd.projection.transitions", state, st -> st.processed)
          .tag("slice", Integer.toString(s)).description("transitions applied to the read side").register(registry);
      return state;
    });
  }

  /** The slice's projection stopped here (moved to another node, or the node stops). */
  void stopped(int slice) {
    Slice state = slices.remove(slice);
    if (state != null) {
      registry.remove(state.gauge);
      registry.remove(state.counter);
    }
  }

  void processed(int slice, UUID offset, Instant writtenAt, int transitions) {
    started(slice);
    Slice state = slices.get(slice);
    state.offset = offset;
    state.lastWrittenAt = writtenAt;
    state.lastProcessedAt = clock.instant();
    state.processed += transitions; // one handler per slice calls this
    // What the probe found pending may be applied now; it looks again from the new offset.
    if (state.oldestPendingAt != null && !state.oldestPendingAt.isAfter(writtenAt)) state.oldestPendingAt = null;
  }

  /** The slices running here. */
  Set<Integer> running() {
    return Set.copyOf(slices.keySet());
  }

  /** The offset of the last transition the slice applied on this node, if any yet. */
  Optional<UUID> offset(int slice) {
    Slice state = slices.get(slice);
    return state == null ? Optional.empty() : Optional.ofNullable(state.offset);
  }

  /** What the probe found: the write time of the oldest transition after {@code offset}, or null when none. */
  void pending(int slice, UUID probedFrom, Instant oldestPendingAt) {
    Slice state = slices.get(slice);
    // Only if the slice has not moved on meanwhile (else the finding may be applied already; the next probe looks again).
    if (state != null && (state.offset == null || state.offset.equals(probedFrom))) state.oldestPendingAt = oldestPendingAt;
  }

  private double lagSeconds(Slice state) {
    Instant pending = state.oldestPendingAt;
    return pending == null ? 0 : Math.max(0, Duration.between(pending, clock.instant()).toMillis()) / 1000.0;
  }

  public Map<Integer, SliceLag> snapshot() {
    Map<Integer, SliceLag> out = new TreeMap<>();
    slices.forEach((slice, s) -> out.put(slice, new SliceLag(slice, Math.round(lagSeconds(s) * 1000), s.oldestPendingAt, s.lastWrittenAt,
        s.lastProcessedAt, s.processed)));
    return out;
  }
}
