package io.segmentd.load;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What a load run measured after its warm-up: acknowledged events, latency per request in
 * microseconds, answers other than 200 by status (0 = no answer), one {@link Second} per second
 * (the warm-up included, for charts), and the node's thread count at start, end and its maximum
 * (-1 when not observed).
 */
public record LoadResult(String label, double seconds, long events, long requests, Histogram latencyMicros,
    Map<Integer, Long> failures, List<Second> series, int threadsStart, int threadsEnd, int threadsMax) {

  /** One second of the run: acknowledged events in it, latency percentiles of requests completed in it. */
  public record Second(int second, long events, double p50Ms, double p99Ms, double p999Ms, double maxMs, int threads) {}

  public double eventsPerSecond() {
    return seconds <= 0 ? 0 : events / seconds;
  }

  public double percentileMs(double percentile) {
    return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getValueAtPercentile(percentile) / 1_000.0;
  }

  public double maxMs() {
    return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getMaxValue() / 1_000.0;
  }

  public long failures(int status) {
    return failures.getOrDefault(status, 0L);
  }

  public String threadsText() {
    return threadsStart < 0 ? "-" : threadsStart + " → max " + threadsMax + " → " + threadsEnd;
  }

  public String summary() {
    return String.format(java.util.Locale.ROOT,
        "%s: %,.0f acknowledged events/s over %.1f s (%,d events, %,d requests); per request p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms;"
            + " non-200: %s; node threads %s",
        label, eventsPerSecond(), seconds, events, requests, percentileMs(50), percentileMs(99), percentileMs(99.9), maxMs(),
        failures.isEmpty() ? "none" : failures, threadsText());
  }
}
