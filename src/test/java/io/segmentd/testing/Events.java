package io.segmentd.testing;

import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

/** Builders for behavioral events in tests. */
public final class Events {
  private Events() {}

  public static BehaviorEvent order(String messageId, String at, String orderId, String revenue) {
    return new BehaviorEvent(messageId, EventType.TRACK, "Order Completed", Instant.parse(at), Instant.parse(at), null,
        Map.of("order_id", orderId, "revenue", new BigDecimal(revenue)));
  }

  public static BehaviorEvent refund(String messageId, String at, String orderId, String amount) {
    return new BehaviorEvent(messageId, EventType.TRACK, "Order Refunded", Instant.parse(at), Instant.parse(at), null,
        Map.of("order_id", orderId, "revenue", new BigDecimal(amount)));
  }

  public static BehaviorEvent track(String messageId, String at, String name, Map<String, Object> properties) {
    return new BehaviorEvent(messageId, EventType.TRACK, name, Instant.parse(at), Instant.parse(at), null, properties);
  }

  public static BehaviorEvent pageIn(String messageId, String at, String timezone) {
    return new BehaviorEvent(messageId, EventType.PAGE, "Home", Instant.parse(at), Instant.parse(at), timezone, Map.of());
  }

  public static BehaviorEvent track(String messageId, String at, String name) {
    return new BehaviorEvent(messageId, EventType.TRACK, name, Instant.parse(at), Instant.parse(at), null, Map.of());
  }

  public static BehaviorEvent page(String messageId, String at) {
    return new BehaviorEvent(messageId, EventType.PAGE, "Home", Instant.parse(at), Instant.parse(at), null, Map.of());
  }

  public static BehaviorEvent identify(String messageId, String at) {
    return new BehaviorEvent(messageId, EventType.IDENTIFY, "", Instant.parse(at), Instant.parse(at), null, Map.of("email", "a@b.c"));
  }
}
