package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;

/**
 * How raw events fold into a profile.
 *
 * @param orderEvent the track event that counts as an order (Segment: {@code Order Completed})
 * @param refundEvent the track event that refunds an order (Segment: {@code Order Refunded})
 * @param interactionRetention how far behind the latest event groups of events keep their step of
 *     event time; older ones are merged into an archive that only all-time rules read. Must exceed
 *     every rolling window
 * @param shape what the configured rules read of events, and the step events are grouped in
 */
public record ProfileSettings(String orderEvent, String refundEvent, Duration interactionRetention, FactShape shape) {

  public ProfileSettings {
    if (interactionRetention.compareTo(shape.longestWindow()) <= 0) {
      throw new IllegalArgumentException("segmentd.profile.interaction-retention (" + interactionRetention
          + ") must exceed the longest rolling window of the segment rules (" + shape.longestWindow() + ")");
    }
  }

  /** Reads {@code segmentd.profile}; what events keep follows from what {@code engine}'s rules read. */
  public static ProfileSettings fromConfig(Config config, SegmentEngine engine) {
    FactShape.Builder shape = engine.describe(new FactShape.Builder(config.getDuration("resolution")));
    // Kept besides what the configured rules read, for definitions added at run time (admin API).
    if (config.hasPath("keep.dimensions")) config.getStringList("keep.dimensions").forEach(shape::dimension);
    if (config.hasPath("keep.measures")) config.getStringList("keep.measures").forEach(shape::measure);
    return new ProfileSettings(
        config.getString("order-event"),
        config.getString("refund-event"),
        config.getDuration("interaction-retention"),
        shape.build());
  }

  /** Segment's e-commerce spec: a non-empty {@code coupon}, or a positive {@code discount}. */
  boolean isDiscounted(Map<String, Object> properties) {
    Object coupon = properties.get("coupon");
    if (coupon instanceof String s && !s.isBlank()) return true;
    Object discount = properties.get("discount");
    if (discount instanceof Number n) return new BigDecimal(n.toString()).signum() > 0;
    return false;
  }
}
