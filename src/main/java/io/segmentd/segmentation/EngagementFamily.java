package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code engagement:high|average|occasional|dormant} by the number of interactions (track, page
 * and screen calls) in the rolling window {@code (see {@link Profile#window}) of event time.
 */
public record EngagementFamily(Duration window, int highMin, int averageMin, int occasionalMin)
    implements SegmentFamily {

  public static EngagementFamily fromConfig(Config config) {
    return new EngagementFamily(
        config.getDuration("window"),
        config.getInt("high-min-interactions"),
        config.getInt("average-min-interactions"),
        config.getInt("occasional-min-interactions"));
  }

  @Override
  public String name() {
    return "engagement";
  }

  @Override
  public List<Membership> evaluate(Profile profile, Instant asOf) {
    if (!profile.seenBy(asOf)) return List.of();
    long interactions = profile.interactions(asOf, window);
    String level =
        interactions >= highMin ? "high"
            : interactions >= averageMin ? "average"
            : interactions >= occasionalMin ? "occasional"
            : "dormant";
    return List.of(new Membership(SegmentId.of(name(), level),
        Map.of("interactions", Long.toString(interactions), "windowDays", Long.toString(window.toDays()))));
  }

  @Override
  public void describe(FactShape.Builder shape) {
    shape.window(window);
  }

  /** The level drops only when the count falls below its minimum: at the exit of the event that takes it there. */
  @Override
  public List<Instant> changeCandidates(Profile profile, Instant asOf) {
    long interactions = profile.interactions(asOf, window);
    long min = interactions >= highMin ? highMin : interactions >= averageMin ? averageMin
        : interactions >= occasionalMin ? occasionalMin : 0;
    if (min <= 0) return List.of();
    long remaining = interactions;
    for (Fact fact : profile.window(asOf, window)) {
      if (!fact.isInteraction()) continue;
      remaining -= fact.count();
      if (remaining < min) return List.of(fact.stepEnd().plus(window));
    }
    return List.of();
  }
}
