package io.segmentd.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.segmentd.insights.JourneyAnalytics.Cohort;
import io.segmentd.insights.JourneyAnalytics.Conversion;
import io.segmentd.insights.JourneyAnalytics.Flow;
import io.segmentd.insights.JourneyAnalytics.Report;
import io.segmentd.insights.JourneyAnalytics.StageTime;
import io.segmentd.insights.JourneyAnalytics.Transition;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JourneyAnalyticsTest {
  private static final List<String> STAGES = List.of("awareness", "consideration", "decision", "customer", "repeat", "advocate");
  /** A Monday. */
  private static final Instant D0 = Instant.parse("2024-01-01T00:00:00Z");

  private static Instant day(int n) {
    return D0.plus(Duration.ofDays(n));
  }

  /** A customer's path: stage, day, stage, day, ...; each entry ends the stay before it at the same instant. */
  private static List<Transition> path(String customer, Object... stagesAndDays) {
    List<Transition> out = new ArrayList<>();
    String previous = null;
    for (int i = 0; i < stagesAndDays.length; i += 2) {
      String stage = (String) stagesAndDays[i];
      Instant at = day((Integer) stagesAndDays[i + 1]);
      if (previous != null) out.add(new Transition(customer, previous, false, at));
      out.add(new Transition(customer, stage, true, at));
      previous = stage;
    }
    return out;
  }

  private static Report report() {
    List<Transition> all = new ArrayList<>();
    all.addAll(path("c1", "awareness", 1, "consideration", 3, "decision", 4, "customer", 10));
    all.addAll(path("c2", "awareness", 1, "consideration", 2, "lapsed", 15));
    all.addAll(path("c3", "awareness", 8, "lapsed", 20, "consideration", 25));
    // Before the period: counts for nothing in it but its own stays.
    all.addAll(path("c0", "awareness", -40, "lapsed", -20));
    java.util.Collections.shuffle(all, new java.util.Random(7));
    return JourneyAnalytics.of(all, STAGES, day(0), day(30), Duration.ofDays(7));
  }

  @Test
  void flowsCountEveryMoveInThePeriodFromStartToLapsedAndBack() {
    assertEquals(List.of(
        new Flow("(start)", "awareness", 3, 3),
        new Flow("awareness", "consideration", 2, 2),
        new Flow("awareness", "lapsed", 1, 1),
        new Flow("consideration", "decision", 1, 1),
        new Flow("consideration", "lapsed", 1, 1),
        new Flow("decision", "customer", 1, 1),
        new Flow("lapsed", "consideration", 1, 1)), report().flows());
    assertEquals(4, report().customers(), "c0 is lapsed through the period");
  }

  @Test
  void conversionIsReachingALaterStageWithinTheHorizon() {
    assertEquals(List.of(
        new Conversion("awareness", "consideration", 3, 2, 2.0 / 3),
        new Conversion("consideration", "decision", 3, 1, 1.0 / 3),
        new Conversion("decision", "customer", 1, 1, 1.0),
        new Conversion("customer", "repeat", 1, 0, 0.0),
        new Conversion("repeat", "advocate", 0, 0, null)), report().conversions());
  }

  @Test
  void stageTimesAreNearestRankPercentilesOfTheStaysBegunInThePeriod() {
    Map<String, StageTime> byStage = new LinkedHashMap<>();
    report().stages().forEach(t -> byStage.put(t.stage(), t));
    assertEquals(new StageTime("awareness", 3, 0, 2.0, 12.0, 1, 1.0 / 3), byStage.get("awareness"));
    assertEquals(new StageTime("consideration", 2, 1, 1.0, 13.0, 1, 0.5), byStage.get("consideration"));
    assertEquals(new StageTime("decision", 1, 0, 6.0, 6.0, 0, 0.0), byStage.get("decision"));
    assertEquals(new StageTime("customer", 0, 1, null, null, 0, null), byStage.get("customer"));
    assertEquals(new StageTime("lapsed", 1, 1, 5.0, 5.0, 0, 0.0), byStage.get("lapsed"));
    assertEquals(List.of("awareness", "consideration", "decision"), report().stalls());
  }

  @Test
  void cohortsGroupCustomersByTheWeekOfTheirFirstEntry() {
    Map<String, Long> first = new LinkedHashMap<>();
    long[] reached1 = {2, 2, 1, 1, 0, 0, 1};
    long[] reached2 = {1, 1, 0, 0, 0, 0, 1};
    Map<String, Long> second = new LinkedHashMap<>();
    List<String> order = new ArrayList<>(STAGES);
    order.add("lapsed");
    for (int i = 0; i < order.size(); i++) {
      first.put(order.get(i), reached1[i]);
      second.put(order.get(i), reached2[i]);
    }
    assertEquals(List.of(new Cohort(LocalDate.parse("2024-01-01"), 2, first), new Cohort(LocalDate.parse("2024-01-08"), 1, second)),
        report().cohorts());
  }

  @Test
  void anExitWithNoEntryIsAMoveToLeft() {
    List<Transition> merged = new ArrayList<>(path("m", "awareness", 1));
    merged.add(new Transition("m", "awareness", false, day(5)));
    Report r = JourneyAnalytics.of(merged, STAGES, day(0), day(30), Duration.ofDays(7));
    assertEquals(List.of(new Flow("(start)", "awareness", 1, 1), new Flow("awareness", "(left)", 1, 1)), r.flows());
  }
}
