package io.segmentd.segmentation;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the profile keeps of one event: its event time, identity, name, the customer's zone when
 * given, and its scalar properties (nested objects and arrays stay in the journal only, except
 * the categories of {@code products}, which benefit rules read).
 */
public record Fact(Instant at, String messageId, EventType type, String name, String timezone, Map<String, Object> attributes) {
  static final Comparator<Fact> ORDER = Comparator.comparing(Fact::at).thenComparing(Fact::messageId);
  public static final String PRODUCT_CATEGORIES = "product_categories";

  static Fact of(BehaviorEvent event) {
    Map<String, Object> attributes = new LinkedHashMap<>();
    event.properties().forEach((key, value) -> {
      if (value instanceof String || value instanceof Number || value instanceof Boolean) attributes.put(key, value);
    });
    if (event.properties().get("products") instanceof List<?> products) {
      List<String> categories = products.stream()
          .filter(p -> p instanceof Map<?, ?> m && m.get("category") != null)
          .map(p -> String.valueOf(((Map<?, ?>) p).get("category"))).distinct().toList();
      if (!categories.isEmpty()) attributes.put(PRODUCT_CATEGORIES, categories);
    }
    return new Fact(event.timestamp(), event.messageId(), event.type(), event.name(), event.timezone(), Map.copyOf(attributes));
  }

  public boolean isInteraction() {
    return type.isInteraction();
  }

  public boolean isTrack(String eventName) {
    return type == EventType.TRACK && name.equals(eventName);
  }

  /** The zone this fact happened in: its own, else the fallback (the customer's latest known), else UTC. */
  public ZoneId zone(ZoneId fallback) {
    if (timezone != null) return ZoneId.of(timezone);
    return fallback != null ? fallback : ZoneOffset.UTC;
  }
}
