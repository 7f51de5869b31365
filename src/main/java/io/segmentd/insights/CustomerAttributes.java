package io.segmentd.insights;

import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.EventType;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.PurchasingFamily;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What can be said of one customer, as attributes a segment's members may share: {@code kind:value}
 * strings. Kinds: {@code event} (a track name done at least once, or page/screen/identify/group),
 * {@code category} (a {@code category} property of its events), {@code segment} (a segment it is
 * in now, which covers benefits, occasions, loyalty ...), {@code rfm} (its cell, {@code R5F3}),
 * {@code weekday} and {@code daypart} (when most of its events happen, in its own zone),
 * {@code month} (the month of most of its events), {@code trait} (an identify trait's latest value,
 * {@code plan=pro}; short values only).
 */
public final class CustomerAttributes {
  /** Trait values longer than this are identifiers, not attributes: left out. */
  static final int MAX_TRAIT_VALUE = 40;

  private CustomerAttributes() {}

  public static Set<String> of(List<BehaviorEvent> facts, Map<String, Membership> segments, PurchasingFamily.Rfm rfm) {
    Set<String> out = new TreeSet<>();
    Map<DayOfWeek, Integer> weekdays = new HashMap<>();
    Map<String, Integer> dayparts = new HashMap<>();
    Map<String, Integer> months = new HashMap<>();
    Map<String, Object> traits = new TreeMap<>();
    Map<String, Instant> traitTimes = new HashMap<>();
    for (BehaviorEvent e : facts) {
      out.add("event:" + (e.type() == EventType.TRACK ? e.name() : e.type().name().toLowerCase(Locale.ROOT)));
      Object category = e.properties().get("category");
      if (category instanceof String c && !c.isBlank() && c.length() <= MAX_TRAIT_VALUE) out.add("category:" + c);
      ZonedDateTime local = e.timestamp().atZone(zone(e.timezone()));
      weekdays.merge(local.getDayOfWeek(), 1, Integer::sum);
      dayparts.merge(daypart(local.getHour()), 1, Integer::sum);
      months.merge(local.getMonth().getDisplayName(TextStyle.SHORT, Locale.ROOT), 1, Integer::sum);
      if (e.type() == EventType.IDENTIFY) {
        e.properties().forEach((key, value) -> {
          if (value == null || value instanceof Map || value instanceof List) return;
          Instant seen = traitTimes.get(key);
          if (seen == null || !e.timestamp().isBefore(seen)) {
            traits.put(key, value);
            traitTimes.put(key, e.timestamp());
          }
        });
      }
    }
    traits.forEach((key, value) -> {
      String text = String.valueOf(value);
      if (text.length() <= MAX_TRAIT_VALUE) out.add("trait:" + key + "=" + text);
    });
    mode(weekdays).ifPresent(d -> out.add("weekday:" + d.getDisplayName(TextStyle.SHORT, Locale.ROOT)));
    mode(dayparts).ifPresent(p -> out.add("daypart:" + p));
    mode(months).ifPresent(m -> out.add("month:" + m));
    for (String segment : segments.keySet()) out.add("segment:" + segment);
    if (rfm != null) out.add("rfm:R" + rfm.r() + "F" + rfm.f());
    return out;
  }

  private static ZoneId zone(String timezone) {
    if (timezone == null) return ZoneOffset.UTC;
    try {
      return ZoneId.of(timezone);
    } catch (RuntimeException e) {
      return ZoneOffset.UTC;
    }
  }

  static String daypart(int hour) {
    if (hour < 6) return "night";
    if (hour < 12) return "morning";
    if (hour < 18) return "afternoon";
    return "evening";
  }

  /** The most frequent key; ties go to the smallest, so the answer does not depend on iteration order. */
  private static <K extends Comparable<K>> java.util.Optional<K> mode(Map<K, Integer> counts) {
    return counts.entrySet().stream()
        .max(Comparator.<Map.Entry<K, Integer>>comparingInt(Map.Entry::getValue).thenComparing(Map.Entry::getKey, Comparator.reverseOrder()))
        .map(Map.Entry::getKey);
  }
}
