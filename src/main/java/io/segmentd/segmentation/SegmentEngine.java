package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
            PurchasingFamily.fromConfig(segments.getConfig("purchasing")),
            BenefitFamily.fromConfig(segments.getConfig("benefit")),
            JourneyFamily.fromConfig(segments.getConfig("journey")),
            UsageFamily.fromConfig(segments.getConfig("usage")),
            OccasionFamily.fromConfig(segments.getConfig("occasion")),
            LoyaltyFamily.fromConfig(segments.getConfig("loyalty")),
            EngagementFamily.fromConfig(segments.getConfig("engagement"))));
  }

  public int ruleVersion() {
    return ruleVersion;
  }

  public List<SegmentFamily> families() {
    return families;
  }

  /** Every membership as of {@code asOf}, keyed and sorted by segment id. */
  public Map<String, Membership> evaluate(Profile profile, Instant asOf) {
    Map<String, Membership> memberships = new TreeMap<>();
    for (SegmentFamily family : families) {
      for (Membership m : family.evaluate(profile, asOf)) memberships.put(m.segment(), m);
    }
    return memberships;
  }

  /** The earliest instant after {@code asOf} at which a membership may change without new events. */
  public Optional<Instant> nextChange(Profile profile, Instant asOf) {
    Instant earliest = null;
    for (SegmentFamily family : families) {
      Optional<Instant> next = family.nextChange(profile, asOf);
      if (next.isPresent() && (earliest == null || next.get().isBefore(earliest))) earliest = next.get();
    }
    return Optional.ofNullable(earliest);
  }
}
