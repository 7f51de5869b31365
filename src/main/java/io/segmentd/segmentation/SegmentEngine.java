package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one place segment memberships are computed: {@code evaluate(profile, asOf)} is a pure
 * function of the profile, the configured families and the instant. The live entity, replays
 * and tests all call it.
 */
public final class SegmentEngine {
  private final int ruleVersion;
  private final List<SegmentFamily> families;

  public SegmentEngine(int ruleVersion, List<SegmentFamily> families) {
    this.ruleVersion = ruleVersion;
    this.families = List.copyOf(families);
  }

  /** Reads {@code segmentd.segments}. */
  public static SegmentEngine fromConfig(Config segments) {
    return new SegmentEngine(
        segments.getInt("rule-version"),
        List.of(
            EngagementFamily.fromConfig(segments.getConfig("engagement")),
            JourneyFamily.fromConfig(segments.getConfig("journey")),
            LoyaltyFamily.fromConfig(segments.getConfig("loyalty"))));
  }

  public int ruleVersion() {
    return ruleVersion;
  }

  /** Every membership as of {@code asOf}, keyed and sorted by segment id. */
  public Map<String, Membership> evaluate(Profile profile, Instant asOf) {
    Map<String, Membership> memberships = new TreeMap<>();
    for (SegmentFamily family : families) {
      family.evaluate(profile, asOf).ifPresent(m -> memberships.put(m.segment(), m));
    }
    return memberships;
  }
}
