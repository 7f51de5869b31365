package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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
  public List<Membership> evaluate(Profile profile, Instant asOf) {
    if (!profile.seenBy(asOf)) return List.of();
    int interactions = profile.factsInWindow(asOf, window, Fact::isInteraction).size();
    String level =
        interactions >= highMin ? "high"
            : interactions >= averageMin ? "average"
            : interactions >= occasionalMin ? "occasional"
            : "dormant";
    return List.of(new Membership(SegmentId.of(name(), level),
        Map.of("interactions", Integer.toString(interactions), "windowDays", Long.toString(window.toDays()))));
  }

  @Override
  public Optional<Instant> nextChange(Profile profile, Instant asOf) {
    return new NextChange(asOf).windowExit(profile.factsInWindow(asOf, window, Fact::isInteraction), window).get();
  }
}
