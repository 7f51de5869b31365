package io.segmentd.segmentation;

import static io.segmentd.testing.Events.order;
import static io.segmentd.testing.Events.page;
import static io.segmentd.testing.Events.track;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.ConfigFactory;
import io.segmentd.segmentation.custom.InvalidDefinition;
import io.segmentd.testing.TestSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CustomSegmentsTest {
  private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
  private static SegmentEngine engine(String definitionsJson) {
    var config = ConfigFactory.parseString("custom = " + definitionsJson)
        .withFallback(TestSettings.segmentd(Map.of()).getConfig("segments"));
    return SegmentEngine.fromConfig(config);
  }

  private static final SegmentEngine ENGINE = engine("""
      [
        {"id": "custom:big-spender-30d", "version": 3, "rule":
          {"sum": {"event": "Order Completed", "property": "revenue", "within": "30d"}, "gte": 500}},
        {"id": "custom:eur-buyer", "version": 1, "rule":
          {"count": {"event": "Order Completed", "where": {"property": "currency", "equals": "EUR"}}, "gte": 1}},
        {"id": "custom:november-browser", "version": 1, "rule":
          {"count": {"event": "Product Viewed", "between": ["2023-11-01T00:00:00Z", "2023-12-01T00:00:00Z"]}, "gte": 2}},
        {"id": "custom:win-back", "version": 2, "rule": {"all": [
          {"lastOccurrence": {"event": "Order Completed"}, "moreThan": "60d"},
          {"not": {"segment": "loyalty:churned"}},
          {"any": [{"segment": "loyalty:repeat"}, {"segment": "loyalty:loyal"}, {"segment": "loyalty:churn-risk"}]}
        ]}},
        {"id": "custom:recent-reviewer", "version": 1, "rule":
          {"lastOccurrence": {"event": "Product Reviewed"}, "within": "7d"}},
        {"id": "custom:big-order", "version": 1, "rule":
          {"max": {"event": "Order Completed", "property": "revenue"}, "gt": 400}},
        {"id": "custom:vip-win-back", "version": 1, "rule":
          {"all": [{"segment": "custom:win-back"}, {"segment": "custom:big-order"}]}}
      ]""");
  private static final ProfileSettings SETTINGS = TestSettings.profile(ENGINE);

  private static Profile profile(List<BehaviorEvent> events) {
    return Profile.EMPTY.plus(events, SETTINGS);
  }

  private static List<String> custom(Profile profile, Instant asOf) {
    return ENGINE.evaluate(profile, asOf).keySet().stream().filter(s -> s.startsWith("custom:")).toList();
  }

  static Stream<Arguments> evaluation() {
    BehaviorEvent big = track("o1", T0.toString(), "Order Completed", Map.of("order_id", "1", "revenue", 450, "currency", "EUR"));
    BehaviorEvent small = order("o2", T0.plus(Duration.ofDays(2)).toString(), "2", "50");
    Instant afterBoth = T0.plus(Duration.ofDays(2));
    return Stream.of(
        Arguments.of("450 + 50 within 30 days", List.of(big, small), afterBoth, List.of("custom:big-order", "custom:big-spender-30d", "custom:eur-buyer")),
        Arguments.of("the 450 leaves the window at exactly 30 days", List.of(big, small), T0.plus(Duration.ofDays(30)), List.of("custom:big-order", "custom:eur-buyer")),
        Arguments.of("1 ns earlier it counts", List.of(big, small), T0.plus(Duration.ofDays(30)).minusNanos(1), List.of("custom:big-order", "custom:big-spender-30d", "custom:eur-buyer")),
        Arguments.of("repeat buyer silent 60 days exactly", List.of(big, small), afterBoth.plus(Duration.ofDays(60)), List.of("custom:big-order", "custom:eur-buyer")),
        Arguments.of("repeat buyer silent 60 days and 1 ns: win-back, and a VIP one", List.of(big, small), afterBoth.plus(Duration.ofDays(60)).plusNanos(1),
            List.of("custom:big-order", "custom:eur-buyer", "custom:vip-win-back", "custom:win-back")),
        Arguments.of("views in November 2023", List.of(track("v1", "2023-11-01T00:00:00Z", "Product Viewed"), track("v2", "2023-11-30T23:59:59Z", "Product Viewed")),
            T0, List.of("custom:november-browser")),
        Arguments.of("the end of the range is excluded", List.of(track("v1", "2023-11-01T00:00:00Z", "Product Viewed"), track("v2", "2023-12-01T00:00:00Z", "Product Viewed")),
            T0, List.of()),
        Arguments.of("as of mid-November only one view has happened", List.of(track("v1", "2023-11-01T00:00:00Z", "Product Viewed"), track("v2", "2023-11-30T00:00:00Z", "Product Viewed")),
            Instant.parse("2023-11-15T00:00:00Z"), List.of()),
        Arguments.of("reviewed 6 days ago", List.of(track("r", T0.toString(), "Product Reviewed")), T0.plus(Duration.ofDays(6)), List.of("custom:recent-reviewer")),
        Arguments.of("reviewed 7 days ago", List.of(track("r", T0.toString(), "Product Reviewed")), T0.plus(Duration.ofDays(7)), List.of()),
        Arguments.of("empty history", List.of(), T0, List.of()),
        Arguments.of("only a page view", List.of(page("p", T0.toString())), T0, List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void evaluation(String why, List<BehaviorEvent> events, Instant asOf, List<String> expected) {
    assertEquals(expected, custom(profile(events), asOf));
  }

  @Test
  void membershipCarriesTheValuesEvaluatedAndTheDefinitionVersion() {
    Profile p = profile(List.of(order("o1", T0.toString(), "1", "320.50"), order("o2", T0.toString(), "2", "200")));
    Membership m = ENGINE.evaluate(p, T0).get("custom:big-spender-30d");
    assertEquals(Map.of("rule.sum", "520.50"), m.values());
    assertEquals(3, ENGINE.versionOf("custom:big-spender-30d"));
    assertEquals(1, ENGINE.versionOf("engagement:high"));
  }

  @Test
  void windowEdgesOfCustomRulesAreAnnounced() {
    // Only the custom rule's window is due before anything built in (usage after 28 days): review + 7 days.
    Profile p = profile(List.of(track("r", T0.toString(), "Product Reviewed")));
    assertEquals(Optional.of(T0.plus(Duration.ofDays(7))), ENGINE.nextChange(p, T0.plus(Duration.ofDays(1))));
  }

  static Stream<Arguments> invalid() {
    return Stream.of(
        Arguments.of("{\"id\": \"vip\", \"version\": 1, \"rule\": {}}", "vip.id"),
        Arguments.of("{\"id\": \"custom:vip\", \"rule\": {\"count\": {\"event\": \"X\"}, \"gte\": 1}}", "custom:vip.version"),
        Arguments.of("{\"id\": \"custom:vip\", \"version\": 1}", "custom:vip.rule"),
        Arguments.of("{\"id\": \"custom:vip\", \"version\": 1, \"rule\": {\"all\": [{\"count\": {\"event\": \"X\"}, \"gte\": 1}, {\"sum\": {\"event\": \"X\", \"property\": \"p\", \"within\": \"30 days\"}, \"gte\": 1}]}}",
            "custom:vip.rule.all[1].sum.within"),
        Arguments.of("{\"id\": \"custom:vip\", \"version\": 1, \"rule\": {\"sum\": {\"event\": \"X\"}, \"gte\": 1}}", "custom:vip.rule.sum.property"),
        Arguments.of("{\"id\": \"custom:vip\", \"version\": 1, \"rule\": {\"count\": {\"event\": \"X\"}, \"gte\": \"ten\"}}", "custom:vip.rule.gte"),
        Arguments.of("{\"id\": \"custom:vip\", \"version\": 1, \"rule\": {\"count\": {\"event\": \"X\"}}}", "custom:vip.rule"),
        Arguments.of("{\"id\": \"custom:vip\", \"version\": 1, \"rule\": {\"any\": [{\"segment\": \"loyalty:platinum\"}]}}", "custom:vip.rule.any[0].segment"),
        Arguments.of("{\"id\": \"custom:vip\", \"version\": 1, \"rule\": {\"not\": {\"avg\": {\"event\": \"X\"}}}}", "custom:vip.rule.not.avg"),
        Arguments.of("{\"id\": \"custom:vip\", \"version\": 1, \"rule\": {\"count\": {\"event\": \"X\", \"between\": [\"2024-02-01T00:00:00Z\", \"yesterday\"]}, \"gte\": 1}}",
            "custom:vip.rule.count.between[1]"),
        Arguments.of("{\"id\": \"custom:vip\", \"version\": 1, \"rule\": {\"lastOccurrence\": {\"event\": \"X\"}}}", "custom:vip.rule"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource
  void invalid(String definition, String badPart) {
    InvalidDefinition e = assertThrows(InvalidDefinition.class, () -> engine("[" + definition + "]"));
    assertEquals(badPart, e.path(), e.getMessage());
  }

  @Test
  void aDefinitionMayNotReferToALaterOne() {
    InvalidDefinition e = assertThrows(InvalidDefinition.class, () -> engine("""
        [{"id": "custom:a", "version": 1, "rule": {"segment": "custom:b"}},
         {"id": "custom:b", "version": 1, "rule": {"count": {"event": "X"}, "gte": 1}}]"""));
    assertEquals("custom:a.rule.segment: 'custom:b' is not a known segment (built-in, or a custom one defined before)", e.getMessage());
  }

  @Test
  void aDefinitionMayNotBeGivenTwice() {
    InvalidDefinition e = assertThrows(InvalidDefinition.class, () -> engine("""
        [{"id": "custom:a", "version": 1, "rule": {"count": {"event": "X"}, "gte": 1}},
         {"id": "custom:a", "version": 2, "rule": {"count": {"event": "X"}, "gte": 2}}]"""));
    assertEquals("custom:a.id", e.path());
  }
}
