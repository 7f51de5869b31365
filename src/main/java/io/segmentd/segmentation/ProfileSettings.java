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
 * @param interactionRetention how far behind the latest event non-order facts are kept; bounds
 *     memory, must exceed every rolling window
 * @param maxFacts at most this many facts are kept (the newest): bounds the memory of a customer
 *     with a flood of events
 */
public record ProfileSettings(String orderEvent, String refundEvent, Duration interactionRetention, int maxFacts) {

  public static ProfileSettings fromConfig(Config config) {
    return new ProfileSettings(
        config.getString("order-event"),
        config.getString("refund-event"),
        config.getDuration("interaction-retention"),
        config.getInt("max-facts"));
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
