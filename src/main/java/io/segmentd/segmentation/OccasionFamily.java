package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.MonthDay;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code occasion:*} over the rolling window, in the customer's zone where known (else UTC):
 * one segment per configured calendar window (e.g. {@code holiday-shopper}) when enough of the
 * orders fall in it; {@code weekend} when enough interactions fall on Saturday or Sunday; and the
 * dominant time of day ({@code morning|afternoon|evening|night}).
 */
public record OccasionFamily(
    Duration window,
    List<CalendarWindow> calendarWindows,
    int calendarMinOrders,
    double calendarMinShare,
    int weekendMinInteractions,
    double weekendMinShare,
    List<DayPart> dayParts,
    int dayPartMinInteractions,
    double dayPartMinShare)
    implements SegmentFamily {

  /** A named set of yearly periods, each from one month-day to another, inclusive. */
  public record CalendarWindow(String name, List<MonthDay[]> periods) {
    boolean contains(MonthDay day) {
      for (MonthDay[] period : periods) {
        boolean inside = period[0].isAfter(period[1])
            ? !day.isBefore(period[0]) || !day.isAfter(period[1])
            : !day.isBefore(period[0]) && !day.isAfter(period[1]);
        if (inside) return true;
      }
      return false;
    }
  }

  /** A part of the day, [fromHour, toHour) and wrapping past midnight when from > to. */
  public record DayPart(String name, int fromHour, int toHour) {
    boolean contains(int hour) {
      return fromHour <= toHour ? hour >= fromHour && hour < toHour : hour >= fromHour || hour < toHour;
    }
  }

  public static OccasionFamily fromConfig(Config config) {
    List<CalendarWindow> windows = new ArrayList<>();
    for (Config w : config.getConfigList("calendar-windows")) {
      List<MonthDay[]> periods = new ArrayList<>();
      for (Config p : w.getConfigList("periods")) {
        periods.add(new MonthDay[] {MonthDay.parse("--" + p.getString("from")), MonthDay.parse("--" + p.getString("to"))});
      }
      windows.add(new CalendarWindow(w.getString("name"), List.copyOf(periods)));
    }
    List<DayPart> parts = new ArrayList<>();
    for (Config p : config.getConfigList("time-of-day.parts")) {
      parts.add(new DayPart(p.getString("name"), p.getInt("from-hour"), p.getInt("to-hour")));
    }
    return new OccasionFamily(
        config.getDuration("window"),
        List.copyOf(windows),
        config.getInt("calendar.min-orders"),
        config.getDouble("calendar.min-share"),
        config.getInt("weekend.min-interactions"),
        config.getDouble("weekend.min-share"),
        List.copyOf(parts),
        config.getInt("time-of-day.min-interactions"),
        config.getDouble("time-of-day.min-share"));
  }

  @Override
  public String name() {
    return "occasion";
  }

  /** What the family's segments read as of an instant: orders per calendar window, interactions per weekend and part of day. */
  private record Tally(int orders, Map<String, Long> ordersPerCalendar, long interactions, long weekend, Map<String, Long> perPart) {}

  private Tally tally(Profile profile, Instant asOf) {
    ZoneId known = profile.knownZoneAsOf(asOf);
    Instant from = asOf.minus(window);
    List<Order> orders = profile.ordersAsOf(asOf).stream().filter(o -> o.at().isAfter(from)).toList();
    ZoneId orderZone = known != null ? known : java.time.ZoneOffset.UTC;
    Map<String, Long> perCalendar = new LinkedHashMap<>();
    for (CalendarWindow calendar : calendarWindows) {
      perCalendar.put(calendar.name(), orders.stream().filter(o -> calendar.contains(MonthDay.from(o.at().atZone(orderZone)))).count());
    }
    // A step divides a quarter hour, so every event of a group falls on the same local day and hour.
    List<Fact> inWindow = profile.window(asOf, window);
    long total = 0;
    long weekend = 0;
    Map<String, Long> counts = new LinkedHashMap<>();
    for (Fact fact : inWindow) {
      if (!fact.isInteraction()) continue;
      total += fact.count();
      DayOfWeek day = fact.localDayOfWeek(known);
      if (day == DayOfWeek.SATURDAY || day == DayOfWeek.SUNDAY) weekend += fact.count();
      int hour = fact.localHourOfDay(known);
      for (DayPart part : dayParts) {
        if (part.contains(hour)) {
          counts.merge(part.name(), fact.count(), Long::sum);
          break;
        }
      }
    }
    return new Tally(orders.size(), perCalendar, total, weekend, counts);
  }

  @Override
  public List<Membership> evaluate(Profile profile, Instant asOf) {
    List<Membership> memberships = new ArrayList<>();
    Tally tally = tally(profile, asOf);
    for (CalendarWindow calendar : calendarWindows) {
      long inside = tally.ordersPerCalendar().get(calendar.name());
      if (tally.orders() >= calendarMinOrders && inside >= calendarMinShare * tally.orders()) {
        memberships.add(new Membership(SegmentId.of(name(), calendar.name()), calendarValues(tally, calendar.name())));
      }
    }
    long total = tally.interactions();
    if (total >= weekendMinInteractions && tally.weekend() >= weekendMinShare * total) {
      memberships.add(new Membership(SegmentId.of(name(), "weekend"), weekendValues(tally)));
    }
    Map<String, Long> counts = tally.perPart();
    if (total >= dayPartMinInteractions) {
      counts.entrySet().stream().max(Map.Entry.comparingByValue())
          .filter(best -> best.getValue() >= dayPartMinShare * total)
          .filter(best -> counts.values().stream().filter(v -> v.equals(best.getValue())).count() == 1)
          .ifPresent(best -> memberships.add(new Membership(SegmentId.of(name(), best.getKey()), partValues(tally, best.getKey()))));
    }
    return memberships;
  }

  /** Each segment is its own share: a calendar window's orders, the weekend's or a part of day's interactions. */
  @Override
  public Map<String, String> explain(String segment, Profile profile, Instant asOf, List<Membership> evaluated) {
    Tally tally = tally(profile, asOf);
    String name = segment.substring(segment.indexOf(':') + 1);
    if (tally.ordersPerCalendar().containsKey(name)) return calendarValues(tally, name);
    if (name.equals("weekend")) return weekendValues(tally);
    return partValues(tally, name);
  }

  private static Map<String, String> calendarValues(Tally tally, String calendar) {
    return Map.of("ordersInWindow", Long.toString(tally.ordersPerCalendar().get(calendar)), "orders", Integer.toString(tally.orders()));
  }

  private static Map<String, String> weekendValues(Tally tally) {
    return Map.of("weekendInteractions", Long.toString(tally.weekend()), "interactions", Long.toString(tally.interactions()));
  }

  private static Map<String, String> partValues(Tally tally, String part) {
    return Map.of("interactions", Long.toString(tally.perPart().getOrDefault(part, 0L)), "of", Long.toString(tally.interactions()));
  }

  @Override
  public void describe(FactShape.Builder shape) {
    shape.window(window);
  }

  /** Shares can rise or fall as events leave: every exit of an interaction step or an order is a candidate. */
  @Override
  public List<Instant> changeCandidates(Profile profile, Instant asOf) {
    List<Instant> candidates = new ArrayList<>(
        NextChange.exits(profile.window(asOf, window), Fact::isInteraction, window));
    profile.ordersAsOf(asOf).stream().filter(o -> o.at().isAfter(asOf.minus(window))).forEach(o -> candidates.add(o.at().plus(window)));
    return candidates;
  }
}
