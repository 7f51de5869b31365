package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * {@code engagement:high|average|occasional|dormant} by the number of interactions (track, page
 * and screen calls) in the rolling window {@code (asOf - window, asOf]} of event time.
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
  public Optional<Membership> evaluate(Profile profile, Instant asOf) {
    if (!profile.seenBy(asOf)) return Optional.empty();
    int interactions = profile.interactionsBetween(asOf.minus(window), asOf);
    String level =
        interactions >= highMin ? "high"
            : interactions >= averageMin ? "average"
            : interactions >= occasionalMin ? "occasional"
            : "dormant";
    return Optional.of(new Membership(SegmentId.of(name(), level),
        Map.of("interactions", Integer.toString(interactions), "windowDays", Long.toString(window.toDays()))));
  }
}
