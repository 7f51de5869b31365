package io.segmentd.segmentation;

import static io.segmentd.testing.Events.page;
import static io.segmentd.testing.Events.track;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.segmentd.segmentation.custom.CustomFamily;
import io.segmentd.testing.TestSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A customer is woken only when a membership can change, not at every event's window exit. */
class WakeUpTest {
  private static final Instant T0 = Instant.parse("2024-05-01T00:00:00Z");
  private static final ProfileSettings SETTINGS = TestSettings.profile();
  private static final com.typesafe.config.Config SEGMENTS = TestSettings.segmentd(Map.of()).getConfig("segments");

  private static SegmentEngine only(SegmentFamily family, int scanLimit) {
    return new SegmentEngine(1, List.of(family), new CustomFamily(List.of()), scanLimit);
  }

  private static Profile everyHour(int count, String name) {
    List<BehaviorEvent> events = new ArrayList<>();
    for (int i = 0; i < count; i++) events.add(track("m" + i, T0.plus(Duration.ofHours(i)).toString(), name));
    return Profile.EMPTY.plus(events, SETTINGS);
  }

  @Test
  void engagementWakesWhenTheCountFallsBelowItsLevelNotAtTheFirstExit() {
    // 25 interactions an hour apart: high (20 or more) until the 6th oldest leaves the 30-day window.
    Profile profile = everyHour(25, "Product Viewed");
    SegmentEngine engine = only(EngagementFamily.fromConfig(SEGMENTS.getConfig("engagement")), 64);
    Instant asOf = T0.plus(Duration.ofDays(1));
    assertEquals(Optional.of(T0.plus(Duration.ofHours(5)).plus(Duration.ofDays(30))), engine.nextChange(profile, asOf));
    // ...then average (5 or more) until all but 4 have left.
    Instant afterHigh = T0.plus(Duration.ofHours(5)).plus(Duration.ofDays(30));
    assertEquals(Optional.of(T0.plus(Duration.ofHours(20)).plus(Duration.ofDays(30))), engine.nextChange(profile, afterHigh));
  }

  @Test
  void usageWakesWhenItsLevelFallsFoundByBisection() {
    // One visit a day for 14 days: heavy (12 active days) until the third day leaves the 28-day window.
    List<BehaviorEvent> events = new ArrayList<>();
    for (int i = 0; i < 14; i++) events.add(page("d" + i, T0.plus(Duration.ofDays(i)).plus(Duration.ofHours(9)).toString()));
    Profile profile = Profile.EMPTY.plus(events, SETTINGS);
    SegmentEngine engine = only(UsageFamily.fromConfig(SEGMENTS.getConfig("usage")), 64);
    Instant asOf = T0.plus(Duration.ofDays(14));
    assertEquals("usage:heavy", engine.evaluate(profile, asOf).keySet().iterator().next());
    assertEquals(Optional.of(T0.plus(Duration.ofDays(2)).plus(Duration.ofHours(9)).plus(Duration.ofDays(28))),
        engine.nextChange(profile, asOf));
  }

  @Test
  void aLongScanWithoutChangeStopsAtItsLimitAndGoesOnFromThere() {
    // Price evidence in 100 steps, quality far behind: every exit is a candidate, none changes the winner
    // until the evidence falls below the minimum (3) with the 98th exit.
    SegmentEngine engine = only(BenefitFamily.fromConfig(SEGMENTS.getConfig("benefit")), 10);
    Profile profile = everyHour(100, "Promotion Clicked");
    Instant asOf = T0.plus(Duration.ofDays(5));
    Duration window = Duration.ofDays(180);
    assertEquals(Optional.of(T0.plus(Duration.ofHours(9)).plus(window)), engine.nextChange(profile, asOf), "the 10th candidate");
    Instant at = asOf;
    int wakeUps = 0;
    Optional<Instant> next = engine.nextChange(profile, at);
    while (next.isPresent() && engine.evaluate(profile, next.get()).keySet().equals(engine.evaluate(profile, at).keySet())) {
      at = next.get();
      next = engine.nextChange(profile, at);
      wakeUps++;
    }
    assertEquals(Optional.of(T0.plus(Duration.ofHours(97)).plus(window)), next, "the change itself");
    assertEquals(9, wakeUps, "98 exits looked at, 10 at a time");
  }
}
