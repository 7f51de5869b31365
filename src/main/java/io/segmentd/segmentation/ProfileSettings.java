package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How raw events fold into a profile.
 *
 * @param orderEvent the track event that counts as an order (Segment: {@code Order Completed})
 * @param refundEvent the track event that refunds an order (Segment: {@code Order Refunded})
 * @param interactionRetention how far behind the latest event interaction times are kept; bounds
 *     memory, must exceed every rolling window
 */
public record ProfileSettings(String orderEvent, String refundEvent, Duration interactionRetention) {

  public static ProfileSettings fromConfig(Config config) {
    return new ProfileSettings(
        config.getString("order-event"),
        config.getString("refund-event"),
        config.getDuration("interaction-retention"));
  }
}
