package io.segmentd.segmentation;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A group of like events the profile keeps: those of one kind (type, name, zone and the
 * properties rules read) within one step of event time. A group knows how many events it holds,
 * the first and last of their instants, and the sums, minima and maxima of the properties rules
 * aggregate. This is what keeps a customer's state bounded by time and not by volume, while every
 * count, sum and window stays exact (see {@link Profile}).
 *
 * <p>{@code stepEnd}: the end of the step of event time {@code (stepEnd - resolution, stepEnd]}
 * the group lies in; a window of length W holds the group until {@code stepEnd + W}. Null for the
 * archive (steps past the retention, which only all-time rules read). {@code era}: how many of the
 * rules' absolute boundaries lie at or before the group's events, so no group straddles one.
 * {@code detail}: an event kept on its own (stamped after the latest arrival seen) rather than
 * grouped, so it can still be told apart from the instant it is evaluated at. {@code localDay}
 * (epoch day) and {@code localHour}: when the group names its zone, the local date and hour of
 * its events (one for all of them: a step lies in one local hour), kept so evaluation does not
 * convert every group's instant again.
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record Fact(
    Instant at,
    Instant lastAt,
    Instant stepEnd,
    long count,
    long lastKey,
    EventType type,
    String name,
    String timezone,
    int era,
    boolean detail,
    Map<String, Object> attributes,
    Map<String, Measure> measures,
    long localDay,
    int localHour) {
  public static final String PRODUCT_CATEGORIES = "product_categories";

  static final Comparator<Fact> ORDER = Comparator.comparing(Fact::at)
      .thenComparing(Fact::lastAt)
      .thenComparingLong(Fact::lastKey)
      .thenComparing(Fact::type)
      .thenComparing(Fact::name)
      .thenComparing(Fact::timezone, Comparator.nullsFirst(Comparator.naturalOrder()))
      .thenComparingInt(Fact::era)
      .thenComparing(f -> new TreeMap<>(f.attributes()).toString());

  public Fact {
    Objects.requireNonNull(at, "at");
    lastAt = lastAt == null ? at : lastAt;
    count = count == 0 ? 1 : count;
    // Names and zones come from a small vocabulary: one copy each, not one per group.
    name = name == null ? "" : name.intern();
    timezone = timezone == null ? null : timezone.intern();
    attributes = attributes == null ? Map.of() : attributes;
    measures = measures == null ? Map.of() : measures;
  }

  /** The sum, minimum and maximum of the numeric values of one property over a group (count: how many were numbers). */
  public record Measure(long count, BigDecimal sum, BigDecimal min, BigDecimal max) {
    static Measure of(BigDecimal value) {
      return new Measure(1, value, value, value);
    }

    Measure plus(Measure other) {
      return new Measure(count + other.count, sum.add(other.sum),
          min.compareTo(other.min) <= 0 ? min : other.min, max.compareTo(other.max) >= 0 ? max : other.max);
    }
  }

  /** What identifies the group an event belongs to. */
  record Key(Instant stepEnd, int era, EventType type, String name, String timezone, Map<String, Object> attributes, Long detailKey) {}

  /** The event as a group of one, keeping only the properties {@code shape} says rules read. */
  private static final java.util.Map<String, ZoneId> ZONES = new java.util.concurrent.ConcurrentHashMap<>();

  /** Zones by name, looked up once: {@code ZoneId.of} per event was a measurable share of a replay's fold. */
  static ZoneId zone(String name) {
    return ZONES.computeIfAbsent(name, ZoneId::of);
  }

  static Fact of(BehaviorEvent event, FactShape shape, boolean detail) {
    // Most events carry few of the properties rules read: maps only when there is something to keep.
    Map<String, Object> properties = event.properties();
    Map<String, Object> attributes = null;
    Map<String, Measure> measures = null;
    if (!properties.isEmpty()) {
      for (String property : shape.dimensions()) {
        Object value = properties.get(property);
        if (value instanceof String || value instanceof Number || value instanceof Boolean) {
          if (attributes == null) attributes = new HashMap<>();
          attributes.put(property, value);
        }
      }
      if (shape.dimensions().contains(PRODUCT_CATEGORIES) && properties.get("products") instanceof List<?> products) {
        List<String> categories = products.stream()
            .filter(p -> p instanceof Map<?, ?> m && m.get("category") != null)
            .map(p -> String.valueOf(((Map<?, ?>) p).get("category"))).distinct().sorted().toList();
        if (!categories.isEmpty()) {
          if (attributes == null) attributes = new HashMap<>();
          attributes.put(PRODUCT_CATEGORIES, categories);
        }
      }
      for (String property : shape.measures()) {
        BigDecimal number = number(properties.get(property));
        if (number != null) {
          if (measures == null) measures = new HashMap<>();
          measures.put(property, Measure.of(number));
        }
      }
    }
    Instant at = event.timestamp();
    long localDay = 0;
    int localHour = 0;
    if (event.timezone() != null) {
      java.time.ZonedDateTime local = at.atZone(zone(event.timezone()));
      localDay = local.toLocalDate().toEpochDay();
      localHour = local.getHour();
    }
    return new Fact(at, at, shape.stepEnd(at), 1, messageKey(event.messageId()), event.type(), event.name(), event.timezone(),
        shape.era(at), detail, attributes == null ? Map.of() : Map.copyOf(attributes), measures == null ? Map.of() : Map.copyOf(measures),
        localDay, localHour);
  }

  /**
   * What tells events at the same instant apart, order-independently: a 64-bit fingerprint of the
   * message id (8 bytes a group rather than the id's characters).
   */
  public static long messageKey(String messageId) {
    return org.apache.commons.codec.digest.MurmurHash3.hash128x64(messageId.getBytes(java.nio.charset.StandardCharsets.UTF_8))[0];
  }

  /** A number, or a string that reads as one; anything else is not counted by sums. */
  static BigDecimal number(Object value) {
    if (value instanceof Number n) {
      try {
        return new BigDecimal(n.toString());
      } catch (NumberFormatException notFinite) {
        return null;
      }
    }
    if (value instanceof String s) {
      try {
        return new BigDecimal(s);
      } catch (NumberFormatException notANumber) {
        return null;
      }
    }
    return null;
  }

  @JsonIgnore
  Key key() {
    return new Key(stepEnd, era, type, name, timezone, attributes, detail ? lastKey : null);
  }

  /** This group in the archive, or no longer on its own (its time has been passed by an arrival). */
  Fact regrouped(Instant newStepEnd) {
    return new Fact(at, lastAt, newStepEnd, count, lastKey, type, name, timezone, era, false, attributes, measures,
        localDay, localHour);
  }

  /** Two groups of the same key as one. */
  Fact plus(Fact other) {
    Instant last;
    long id;
    int c = lastAt.compareTo(other.lastAt);
    if (c > 0 || (c == 0 && lastKey >= other.lastKey)) {
      last = lastAt;
      id = lastKey;
    } else {
      last = other.lastAt;
      id = other.lastKey;
    }
    Map<String, Measure> merged = measures;
    if (!other.measures.isEmpty()) {
      Map<String, Measure> m = new HashMap<>(measures);
      other.measures.forEach((k, v) -> m.merge(k, v, Measure::plus));
      merged = Map.copyOf(m);
    }
    return new Fact(at.isBefore(other.at) ? at : other.at, last, stepEnd, count + other.count, id, type, name, timezone,
        era, detail, attributes, merged, localDay, localHour);
  }

  public boolean isInteraction() {
    return type.isInteraction();
  }

  public boolean isTrack(String eventName) {
    return type == EventType.TRACK && name.equals(eventName);
  }

  /** Some events of the group happened at or before {@code asOf} and some after it. */
  boolean straddles(Instant asOf) {
    return !at.isAfter(asOf) && lastAt.isAfter(asOf);
  }

  /** The local date (epoch day) of the group's events, in its own zone, else the fallback, else UTC. */
  public long localEpochDay(ZoneId fallback) {
    return timezone != null ? localDay : at.atZone(fallback != null ? fallback : ZoneOffset.UTC).toLocalDate().toEpochDay();
  }

  /** The local hour of the group's events, in its own zone, else the fallback, else UTC. */
  public int localHourOfDay(ZoneId fallback) {
    return timezone != null ? localHour : at.atZone(fallback != null ? fallback : ZoneOffset.UTC).getHour();
  }

  /** The local day of the week of the group's events. */
  public java.time.DayOfWeek localDayOfWeek(ZoneId fallback) {
    return java.time.DayOfWeek.of((int) Math.floorMod(localEpochDay(fallback) + 3, 7L) + 1);
  }
}
