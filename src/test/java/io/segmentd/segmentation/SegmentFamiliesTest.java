package io.segmentd.segmentation;

import static io.segmentd.testing.Events.identify;
import static io.segmentd.testing.Events.order;
import static io.segmentd.testing.Events.page;
import static io.segmentd.testing.Events.track;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.segmentd.testing.TestSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Boundaries of the engagement, journey and loyalty families with the shipped thresholds. */
class SegmentFamiliesTest {
  private static final ProfileSettings SETTINGS = TestSettings.profile();
  private static final SegmentEngine ENGINE = TestSettings.engine();
  private static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");

  private static Profile profile(BehaviorEvent... events) {
    return Profile.EMPTY.plus(List.of(events), SETTINGS);
  }

  private static BehaviorEvent[] pages(int n, Instant at) {
    BehaviorEvent[] events = new BehaviorEvent[n];
    for (int i = 0; i < n; i++) events[i] = page("p" + i + at, at.toString());
    return events;
  }

  private static Optional<String> segment(Profile profile, String family, Instant asOf) {
    return ENGINE.evaluate(profile, asOf).keySet().stream().filter(s -> s.startsWith(family + ":")).findFirst();
  }

  static Stream<Arguments> engagement() {
    Instant windowEdge = T0.plus(Duration.ofDays(30));
    return Stream.of(
        Arguments.of("empty history", profile(), T0, null),
        Arguments.of("only identified", profile(identify("i", T0.toString())), T0, "engagement:dormant"),
        Arguments.of("1 interaction", profile(pages(1, T0)), T0, "engagement:occasional"),
        Arguments.of("4 interactions", profile(pages(4, T0)), T0, "engagement:occasional"),
        Arguments.of("5 interactions", profile(pages(5, T0)), T0, "engagement:average"),
        Arguments.of("19 interactions", profile(pages(19, T0)), T0, "engagement:average"),
        Arguments.of("20 interactions", profile(pages(20, T0)), T0, "engagement:high"),
        Arguments.of("1 ms before the window passes", profile(pages(20, T0)), windowEdge.minusMillis(1), "engagement:high"),
        Arguments.of("the instant the window passes", profile(pages(20, T0)), windowEdge, "engagement:dormant"),
        Arguments.of("asOf before the events", profile(pages(20, T0)), T0.minusMillis(1), null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void engagement(String why, Profile profile, Instant asOf, String expected) {
    assertEquals(Optional.ofNullable(expected), segment(profile, "engagement", asOf));
  }

  static Stream<Arguments> journey() {
    String t = T0.toString();
    Instant lapseEdge = T0.plus(Duration.ofDays(90));
    return Stream.of(
        Arguments.of("first visit", profile(page("a", t)), T0, "journey:awareness"),
        Arguments.of("viewed a product", profile(track("a", t, "Product Viewed")), T0, "journey:consideration"),
        Arguments.of("started checkout", profile(track("a", t, "Checkout Started")), T0, "journey:decision"),
        Arguments.of("first order", profile(order("a", t, "o1", "5")), T0, "journey:customer"),
        Arguments.of("second order", profile(order("a", t, "o1", "5"), order("b", t, "o2", "5")), T0, "journey:repeat"),
        Arguments.of("reviewed without buying", profile(track("a", t, "Product Reviewed")), T0, "journey:awareness"),
        Arguments.of("customer who referred", profile(order("a", t, "o1", "5"), track("b", t, "Referral Sent")), T0, "journey:advocate"),
        Arguments.of("silent exactly 90 days", profile(order("a", t, "o1", "5")), lapseEdge, "journey:customer"),
        Arguments.of("silent 90 days and 1 ms", profile(order("a", t, "o1", "5")), lapseEdge.plusMillis(1), "journey:lapsed"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void journey(String why, Profile profile, Instant asOf, String expected) {
    assertEquals(Optional.ofNullable(expected), segment(profile, "journey", asOf));
  }

  private static Profile ordersEvery(int count, Duration gap) {
    List<BehaviorEvent> events = new ArrayList<>();
    for (int i = 0; i < count; i++) events.add(order("m" + i, T0.plus(gap.multipliedBy(i)).toString(), "o" + i, "10"));
    return Profile.EMPTY.plus(events, SETTINGS);
  }

  static Stream<Arguments> loyalty() {
    Duration week = Duration.ofDays(7);
    Instant lastOfFive = T0.plus(week.multipliedBy(4));
    Instant lastOfTwenty = T0.plus(Duration.ofDays(20 * 3 - 3));
    return Stream.of(
        Arguments.of("no orders", profile(page("a", T0.toString())), T0, null),
        Arguments.of("one order", ordersEvery(1, week), T0, "loyalty:one-time"),
        Arguments.of("two orders", ordersEvery(2, week), T0.plus(week), "loyalty:repeat"),
        Arguments.of("five orders", ordersEvery(5, week), lastOfFive, "loyalty:loyal"),
        Arguments.of("five orders and a review", profileWith(ordersEvery(5, week), track("r", T0.toString(), "Product Reviewed")), lastOfFive, "loyalty:advocate"),
        // median gap 7 days: churn risk needs silence > 14 days and > 30 days (the minimum silence)
        Arguments.of("silent exactly 30 days", ordersEvery(5, week), lastOfFive.plus(Duration.ofDays(30)), "loyalty:loyal"),
        Arguments.of("silent 30 days and 1 ms", ordersEvery(5, week), lastOfFive.plus(Duration.ofDays(30)).plusMillis(1), "loyalty:churn-risk"),
        // median gap 3 days: 2x = 6 days, the 30-day minimum decides
        Arguments.of("frequent buyer silent 31 days", ordersEvery(20, Duration.ofDays(3)), lastOfTwenty.plus(Duration.ofDays(31)), "loyalty:churn-risk"),
        // median gap 60 days: 2x = 120 days decides
        Arguments.of("slow buyer silent 119 days", ordersEvery(3, Duration.ofDays(60)), T0.plus(Duration.ofDays(120 + 119)), "loyalty:repeat"),
        Arguments.of("slow buyer silent 121 days", ordersEvery(3, Duration.ofDays(60)), T0.plus(Duration.ofDays(120 + 121)), "loyalty:churn-risk"),
        Arguments.of("one order, silent 365 days", ordersEvery(1, week), T0.plus(Duration.ofDays(365)), "loyalty:one-time"),
        Arguments.of("one order, silent 365 days and 1 ms", ordersEvery(1, week), T0.plus(Duration.ofDays(365)).plusMillis(1), "loyalty:churned"));
  }

  private static Profile profileWith(Profile profile, BehaviorEvent event) {
    return profile.plus(List.of(event), SETTINGS);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void loyalty(String why, Profile profile, Instant asOf, String expected) {
    assertEquals(Optional.ofNullable(expected), segment(profile, "loyalty", asOf));
  }
}
