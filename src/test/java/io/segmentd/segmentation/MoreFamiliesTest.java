package io.segmentd.segmentation;

import static io.segmentd.testing.Events.order;
import static io.segmentd.testing.Events.page;
import static io.segmentd.testing.Events.pageIn;
import static io.segmentd.testing.Events.track;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.segmentd.testing.TestSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Boundaries of the purchasing, benefit, usage and occasion families with the shipped thresholds. */
class MoreFamiliesTest {
  private static final ProfileSettings SETTINGS = TestSettings.profile();
  private static final SegmentEngine ENGINE = TestSettings.engine();
  private static final Instant T0 = Instant.parse("2024-01-03T10:00:00Z"); // a Wednesday

  private static Profile profile(List<BehaviorEvent> events) {
    return Profile.EMPTY.plus(events, SETTINGS);
  }

  private static List<String> segments(Profile profile, String family, Instant asOf) {
    return ENGINE.evaluate(profile, asOf).keySet().stream().filter(s -> s.startsWith(family + ":")).toList();
  }

  private static List<BehaviorEvent> orders(int count, Duration gap, String amount) {
    List<BehaviorEvent> events = new ArrayList<>();
    for (int i = 0; i < count; i++) events.add(order("o" + i, T0.plus(gap.multipliedBy(i)).toString(), "o" + i, amount));
    return events;
  }

  private static Instant lastOf(int count, Duration gap) {
    return T0.plus(gap.multipliedBy(count - 1));
  }

  static Stream<Arguments> purchasing() {
    Duration day = Duration.ofDays(1);
    return Stream.of(
        Arguments.of("no orders", List.of(page("p", T0.toString())), T0, List.of()),
        Arguments.of("one small order today", orders(1, day, "10"), T0, List.of("purchasing:new")),
        Arguments.of("one small order 30 days ago (R=5)", orders(1, day, "10"), T0.plus(Duration.ofDays(30)), List.of("purchasing:new")),
        Arguments.of("one small order 30 days + 1 ns ago (R=4)", orders(1, day, "10"), T0.plus(Duration.ofDays(30)).plusNanos(1), List.of("purchasing:promising")),
        Arguments.of("one order of 250 (M=2, FM=2)", orders(1, day, "250"), T0, List.of("purchasing:potential-loyalist")),
        Arguments.of("10 orders of 250 today (F=5, M=5)", orders(10, Duration.ofHours(1), "250"), lastOf(10, Duration.ofHours(1)), List.of("purchasing:champions")),
        Arguments.of("10 orders of 250, 100 days ago (R=3)", orders(10, Duration.ofHours(1), "250"), lastOf(10, Duration.ofHours(1)).plus(Duration.ofDays(100)), List.of("purchasing:loyal")),
        Arguments.of("10 orders of 250, 400 days ago (R=1)", orders(10, Duration.ofHours(1), "250"), lastOf(10, Duration.ofHours(1)).plus(Duration.ofDays(400)), List.of("purchasing:cannot-lose")),
        Arguments.of("3 orders of 100, 200 days ago (R=2, FM=3)", orders(3, day, "100"), lastOf(3, day).plus(Duration.ofDays(200)), List.of("purchasing:at-risk")),
        Arguments.of("1 order, 200 days ago (R=2, FM=1)", orders(1, day, "10"), T0.plus(Duration.ofDays(200)), List.of("purchasing:hibernating")),
        Arguments.of("1 order, 400 days ago (R=1, FM=1)", orders(1, day, "10"), T0.plus(Duration.ofDays(400)), List.of("purchasing:lost")),
        Arguments.of("2 orders, 100 days ago (R=3, FM=2)", orders(2, day, "100"), lastOf(2, day).plus(Duration.ofDays(100)), List.of("purchasing:need-attention")),
        Arguments.of("1 order, 100 days ago (R=3, FM=1)", orders(1, day, "10"), T0.plus(Duration.ofDays(100)), List.of("purchasing:about-to-sleep")),
        Arguments.of("refunds larger than orders (M=1)", List.of(order("a", T0.toString(), "o1", "300"),
            io.segmentd.testing.Events.refund("b", T0.toString(), "o1", "900")), T0, List.of("purchasing:new")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void purchasing(String why, List<BehaviorEvent> events, Instant asOf, List<String> expected) {
    assertEquals(expected, segments(profile(events), "purchasing", asOf));
  }

  static Stream<Arguments> cartAbandonment() {
    String t = T0.toString();
    List<BehaviorEvent> checkout = List.of(track("c", t, "Checkout Started"));
    List<BehaviorEvent> checkoutThenOrder = List.of(track("c", t, "Checkout Started"), order("o", T0.plus(Duration.ofMinutes(10)).toString(), "o1", "5"));
    return Stream.of(
        Arguments.of("59 minutes after checkout", checkout, T0.plus(Duration.ofMinutes(59)), false),
        Arguments.of("exactly 1 hour after checkout", checkout, T0.plus(Duration.ofHours(1)), true),
        Arguments.of("ordered after checkout", checkoutThenOrder, T0.plus(Duration.ofHours(2)), false),
        Arguments.of("ordered, as of before the order", checkoutThenOrder, T0.plus(Duration.ofMinutes(9)), false),
        Arguments.of("1 ns before expiry", checkout, T0.plus(Duration.ofDays(30)).minusNanos(1), true),
        Arguments.of("expired after 30 days", checkout, T0.plus(Duration.ofDays(30)), false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void cartAbandonment(String why, List<BehaviorEvent> events, Instant asOf, boolean abandoner) {
    assertEquals(abandoner, segments(profile(events), "purchasing", asOf).contains("purchasing:cart-abandoner"));
  }

  static Stream<Arguments> discountSeeking() {
    String t = T0.toString();
    BehaviorEvent couponOrder1 = track("d1", t, "Order Completed", Map.of("order_id", "d1", "revenue", 5, "coupon", "SALE"));
    BehaviorEvent couponOrder2 = track("d2", t, "Order Completed", Map.of("order_id", "d2", "revenue", 5, "discount", 1.5));
    BehaviorEvent plain1 = order("p1", t, "p1", "5");
    BehaviorEvent plain2 = order("p2", t, "p2", "5");
    BehaviorEvent emptyCoupon = track("e", t, "Order Completed", Map.of("order_id", "e", "revenue", 5, "coupon", ""));
    return Stream.of(
        Arguments.of("2 of 2 discounted: too few orders", List.of(couponOrder1, couponOrder2), false),
        Arguments.of("2 of 3 discounted", List.of(couponOrder1, couponOrder2, plain1), true),
        Arguments.of("2 of 4 discounted: exactly half", List.of(couponOrder1, couponOrder2, plain1, plain2), true),
        Arguments.of("1 of 3 discounted, an empty coupon is none", List.of(couponOrder1, plain1, emptyCoupon), false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void discountSeeking(String why, List<BehaviorEvent> events, boolean seeker) {
    assertEquals(seeker, segments(profile(events), "purchasing", T0).contains("purchasing:discount-seeker"));
  }

  static Stream<Arguments> benefit() {
    String t = T0.toString();
    return Stream.of(
        Arguments.of("no evidence", List.of(page("p", t)), T0, List.of()),
        Arguments.of("price evidence 2.5 < 3", List.of(track("a", t, "Coupon Applied"), track("b", t, "Product List Filtered")), T0, List.of()),
        Arguments.of("price evidence 3", List.of(track("a", t, "Coupon Applied"), track("b", t, "Promotion Clicked")), T0, List.of("benefit:price")),
        Arguments.of("quality 4 beats price 3", List.of(track("a", t, "Coupon Applied"), track("b", t, "Promotion Clicked"),
            track("c", t, "Product Reviewed"), track("d", t, "Product Reviewed")), T0, List.of("benefit:quality")),
        Arguments.of("a tie decides nothing", List.of(track("a", t, "Coupon Applied"), track("b", t, "Promotion Clicked"),
            track("c", t, "Express Checkout Used"), track("d", t, "Shipping Method Selected"), track("e", t, "Shipping Method Selected")), T0, List.of()),
        Arguments.of("evidence leaves the 180-day window", List.of(track("a", t, "Coupon Applied"), track("b", t, "Promotion Clicked")),
            T0.plus(Duration.ofDays(180)), List.of()),
        Arguments.of("1 ns before it leaves", List.of(track("a", t, "Coupon Applied"), track("b", t, "Promotion Clicked")),
            T0.plus(Duration.ofDays(180)).minusNanos(1), List.of("benefit:price")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void benefit(String why, List<BehaviorEvent> events, Instant asOf, List<String> expected) {
    assertEquals(expected, segments(profile(events), "benefit", asOf));
  }

  @org.junit.jupiter.api.Test
  void benefitEvidenceMatchesProductCategoriesAndFeatures() {
    var config = com.typesafe.config.ConfigFactory.parseString("""
        benefit.rules = [
          { benefit = eco, category = "refill" }
          { benefit = automation, event = "Feature Used", feature = "scheduler", weight = 1.5 }
        ]""").withFallback(TestSettings.segmentd(Map.of()).getConfig("segments"));
    SegmentEngine engine = SegmentEngine.fromConfig(config);
    String t = T0.toString();
    BehaviorEvent refillOrder = track("o", t, "Order Completed", Map.of("order_id", "o", "revenue", 5,
        "products", List.of(Map.of("product_id", "p1", "category", "refill"), Map.of("product_id", "p2", "category", "bottle"))));
    BehaviorEvent refillView = track("v", t, "Product Viewed", Map.of("category", "refill"));
    BehaviorEvent bottleView = track("b", t, "Product Viewed", Map.of("category", "bottle"));
    ProfileSettings settings = TestSettings.profile(engine);
    Profile eco = Profile.EMPTY.plus(List.of(refillOrder, refillView, track("v2", t, "Product Viewed", Map.of("category", "refill")), bottleView), settings);
    assertEquals(List.of("benefit:eco"), engine.evaluate(eco, T0).keySet().stream().filter(s -> s.startsWith("benefit:")).toList());
    Profile automation = Profile.EMPTY.plus(List.of(track("f1", t, "Feature Used", Map.of("feature", "scheduler")),
        track("f2", t, "Feature Used", Map.of("feature", "scheduler")), track("f3", t, "Feature Used", Map.of("feature", "export"))), settings);
    assertEquals(List.of("benefit:automation"), engine.evaluate(automation, T0).keySet().stream().filter(s -> s.startsWith("benefit:")).toList());
  }

  private static List<BehaviorEvent> dailyVisits(int days, Duration sessionLength) {
    List<BehaviorEvent> events = new ArrayList<>();
    for (int d = 0; d < days; d++) {
      Instant start = T0.plus(Duration.ofDays(d));
      events.add(page("s" + d, start.toString()));
      if (!sessionLength.isZero()) events.add(page("e" + d, start.plus(sessionLength).toString()));
    }
    return events;
  }

  static Stream<Arguments> usage() {
    Duration none = Duration.ZERO;
    return Stream.of(
        Arguments.of("one visit", dailyVisits(1, none), T0, "usage:light"),
        Arguments.of("3 active days", dailyVisits(3, none), T0.plus(Duration.ofDays(2)), "usage:light"),
        Arguments.of("4 active days", dailyVisits(4, none), T0.plus(Duration.ofDays(3)), "usage:average"),
        Arguments.of("12 active days", dailyVisits(12, none), T0.plus(Duration.ofDays(11)), "usage:heavy"),
        Arguments.of("one 2-hour session (120 min)", dailyVisits(1, Duration.ofMinutes(120)), T0.plus(Duration.ofHours(3)), "usage:light"),
        Arguments.of("page views 25 min apart make one session", chain(5, Duration.ofMinutes(25)), T0.plus(Duration.ofHours(3)), "usage:light"),
        Arguments.of("6 sessions of 100 min = 600 min", sessions(6, 100), T0.plus(Duration.ofDays(6)), "usage:heavy"),
        Arguments.of("window passed", dailyVisits(1, none), T0.plus(Duration.ofDays(28)), "usage:inactive"));
  }

  /** n page views, each {@code gap} after the previous. */
  private static List<BehaviorEvent> chain(int n, Duration gap) {
    List<BehaviorEvent> events = new ArrayList<>();
    for (int i = 0; i < n; i++) events.add(page("c" + i, T0.plus(gap.multipliedBy(i)).toString()));
    return events;
  }

  /** n sessions on consecutive days, each a run of views 20 minutes apart lasting {@code minutes}. */
  private static List<BehaviorEvent> sessions(int n, int minutes) {
    List<BehaviorEvent> events = new ArrayList<>();
    for (int d = 0; d < n; d++) {
      for (int m = 0; m <= minutes; m += 20) events.add(page("v" + d + "-" + m, T0.plus(Duration.ofDays(d)).plus(Duration.ofMinutes(m)).toString()));
    }
    return events;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void usage(String why, List<BehaviorEvent> events, Instant asOf, String expected) {
    assertEquals(List.of(expected), segments(profile(events), "usage", asOf));
  }

  static Stream<Arguments> occasion() {
    // 2024-01-06 is a Saturday
    List<BehaviorEvent> weekendMornings = List.of(page("a", "2024-01-06T08:00:00Z"), page("b", "2024-01-07T09:00:00Z"), page("c", "2024-01-13T10:00:00Z"));
    return Stream.of(
        Arguments.of("two interactions are too few", weekendMornings.subList(0, 2), List.of()),
        Arguments.of("weekend mornings (UTC)", weekendMornings, List.of("occasion:morning", "occasion:weekend")),
        Arguments.of("the same instants in Tokyo are weekend evenings", List.of(
            pageIn("a", "2024-01-06T08:00:00Z", "Asia/Tokyo"), pageIn("b", "2024-01-07T09:00:00Z", "Asia/Tokyo"),
            pageIn("c", "2024-01-13T10:00:00Z", "Asia/Tokyo")), List.of("occasion:evening", "occasion:weekend")),
        Arguments.of("in Los Angeles they are weekend nights", List.of(
            pageIn("a", "2024-01-06T08:00:00Z", "America/Los_Angeles"), pageIn("b", "2024-01-07T09:00:00Z", "America/Los_Angeles"),
            pageIn("c", "2024-01-13T10:00:00Z", "America/Los_Angeles")), List.of("occasion:night", "occasion:weekend")),
        Arguments.of("in Sydney (UTC+11) they are all on Saturday, two of them at night", List.of(
            pageIn("a", "2024-01-05T13:00:00Z", "Australia/Sydney"), pageIn("b", "2024-01-06T12:00:00Z", "Australia/Sydney"),
            pageIn("c", "2024-01-06T09:00:00Z", "Australia/Sydney")), List.of("occasion:night", "occasion:weekend")),
        Arguments.of("a tie between morning and evening decides no time of day", List.of(page("a", "2024-01-08T08:00:00Z"),
            page("b", "2024-01-09T09:00:00Z"), page("c", "2024-01-10T18:00:00Z"), page("d", "2024-01-11T19:00:00Z")), List.of()),
        Arguments.of("a re-sent order id counts once: 1 of 2 orders in the holidays is enough", List.of(
            order("o1", "2023-11-20T12:00:00Z", "o1", "5"), order("o1-again", "2023-11-20T12:05:00Z", "o1", "5"),
            order("o2", "2023-06-01T12:00:00Z", "o2", "5")), List.of("occasion:afternoon", "occasion:holiday-shopper")),
        Arguments.of("holiday orders: 2 of 3 in Nov 15 - Dec 31", List.of(
            order("o1", "2023-11-20T12:00:00Z", "o1", "5"), order("o2", "2023-12-31T23:00:00Z", "o2", "5"),
            order("o3", "2023-06-01T12:00:00Z", "o3", "5")), List.of("occasion:afternoon", "occasion:holiday-shopper")),
        Arguments.of("Jan 1 is outside the holiday window", List.of(
            order("o1", "2023-11-20T12:00:00Z", "o1", "5"), order("o2", "2024-01-01T00:30:00Z", "o2", "5"),
            order("o3", "2023-06-01T12:00:00Z", "o3", "5")), List.of("occasion:afternoon")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void occasion(String why, List<BehaviorEvent> events, List<String> expected) {
    assertEquals(expected, segments(profile(events), "occasion", Instant.parse("2024-01-14T00:00:00Z")));
  }

  static Stream<Arguments> nextChange() {
    String t = T0.toString();
    return Stream.of(
        Arguments.of("nothing ever seen", List.of(), null),
        Arguments.of("a page view leaves the 28-day usage window first",
            List.of(page("p", t)), T0.plus(Duration.ofDays(28))),
        Arguments.of("a checkout becomes abandoned after an hour",
            List.of(track("c", t, "Checkout Started")), T0.plus(Duration.ofHours(1))),
        Arguments.of("identify only: nothing will change by itself",
            List.of(io.segmentd.testing.Events.identify("i", t)), null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void nextChange(String why, List<BehaviorEvent> events, Instant expected) {
    assertEquals(java.util.Optional.ofNullable(expected), ENGINE.nextChange(profile(events), T0));
  }

  @org.junit.jupiter.api.Test
  void membershipsChangeOnlyAtTheAnnouncedInstants() {
    Profile profile = profile(List.of(order("o1", T0.toString(), "o1", "300"), page("p", T0.plus(Duration.ofDays(3)).toString()),
        track("c", T0.plus(Duration.ofDays(5)).toString(), "Checkout Started"), order("o2", T0.plus(Duration.ofDays(9)).toString(), "o2", "20")));
    Instant asOf = T0.plus(Duration.ofDays(9));
    Instant end = T0.plus(Duration.ofDays(800));
    int changes = 0;
    while (true) {
      var next = ENGINE.nextChange(profile, asOf);
      Map<String, Membership> now = ENGINE.evaluate(profile, asOf);
      Instant probeUntil = next.orElse(end);
      // Hourly probes between announced instants see no change at all.
      for (Instant probe = asOf.plus(Duration.ofHours(7)); probe.isBefore(probeUntil) && probe.isBefore(end); probe = probe.plus(Duration.ofHours(7))) {
        assertEquals(now.keySet(), ENGINE.evaluate(profile, probe).keySet(), "unannounced change at " + probe);
      }
      if (next.isEmpty() || next.get().isAfter(end)) break;
      asOf = next.get();
      changes++;
    }
    assertEquals(true, changes >= 5, "expected several announced instants, saw " + changes);
  }
}
