package io.segmentd.segmentation;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One accepted behavioral fact about a customer, as the platform sent it.
 *
 * <p>{@code timestamp} is the event time (when it happened) and is the only time segment windows
 * use; {@code receivedAt} is kept for the audit trail only. Properties are kept whole because the
 * journal is the source of truth that later definitions are replayed against. {@code timezone}
 * is the customer's IANA zone from {@code context.timezone}, or null.
 */
public record BehaviorEvent(
    String messageId,
    EventType type,
    String name,
    Instant timestamp,
    Instant receivedAt,
    String timezone,
    Map<String, Object> properties) {

  public BehaviorEvent {
    Objects.requireNonNull(messageId, "messageId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(timestamp, "timestamp");
    name = name == null ? "" : name;
    properties = properties == null ? Map.of() : properties;
  }

  /** Segment's order id, falling back to the message id so an order is always counted once. */
  public String orderKey() {
    Object id = properties.get("order_id");
    return id == null ? messageId : String.valueOf(id);
  }

  /** The order's amount: {@code revenue}, else {@code total}; null when neither is given. */
  public BigDecimal amount() {
    Object value = properties.containsKey("revenue") ? properties.get("revenue") : properties.get("total");
    if (value == null) return null;
    if (value instanceof BigDecimal decimal) return decimal;
    return new BigDecimal(value.toString());
  }

  public boolean isTrack(String eventName) {
    return type == EventType.TRACK && name.equals(eventName);
  }
}
