package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code usage:heavy|average|light|inactive} by active days (distinct days, in the customer's
 * zone, with an interaction) and session minutes in the rolling window. Sessions are runs of
 * interactions no more than {@code sessionGap} apart; a session lasts from its first to its last
 * interaction. A level is reached by either measure.
 */
public record UsageFamily(
    Duration window, Duration sessionGap,
    int heavyMinDays, long heavyMinMinutes,
    int averageMinDays, long averageMinMinutes,
    int lightMinDays)
    implements SegmentFamily {

  public static UsageFamily fromConfig(Config config) {
    return new UsageFamily(
        config.getDuration("window"), config.getDuration("session-gap"),
        config.getInt("heavy.min-active-days"), config.getLong("heavy.min-session-minutes"),
        config.getInt("average.min-active-days"), config.getLong("average.min-session-minutes"),
        config.getInt("light.min-active-days"));
  }

  @Override
  public String name() {
    return "usage";
  }

  @Override
  public List<Membership> evaluate(Profile profile, Instant asOf) {
    if (!profile.seenBy(asOf)) return List.of();
    List<Fact> interactions = profile.window(asOf, window);
    ZoneId known = profile.knownZoneAsOf(asOf);
    Set<Long> days = new HashSet<>();
    long sessionSeconds = 0;
    Instant sessionStart = null;
    Instant previous = null;
    // Groups are in order of their first event and no wider than a step (never wider than the
    // session gap), so a gap longer than the session gap lies between groups, never inside one.
    for (Fact fact : interactions) {
      if (!fact.isInteraction()) continue;
      days.add(fact.localEpochDay(known));
      if (previous == null || Duration.between(previous, fact.at()).compareTo(sessionGap) > 0) {
        if (sessionStart != null) sessionSeconds += Duration.between(sessionStart, previous).toSeconds();
        sessionStart = fact.at();
        previous = fact.lastAt();
      } else if (fact.lastAt().isAfter(previous)) {
        previous = fact.lastAt();
      }
    }
    if (sessionStart != null) sessionSeconds += Duration.between(sessionStart, previous).toSeconds();
    long minutes = sessionSeconds / 60;
    int activeDays = days.size();
    String level =
        activeDays >= heavyMinDays || minutes >= heavyMinMinutes ? "heavy"
            : activeDays >= averageMinDays || minutes >= averageMinMinutes ? "average"
            : activeDays >= lightMinDays ? "light"
            : "inactive";
    return List.of(new Membership(SegmentId.of(name(), level),
        Map.of("activeDays", Integer.toString(activeDays), "sessionMinutes", Long.toString(minutes),
            "windowDays", Long.toString(window.toDays()))));
  }

  @Override
  public void describe(FactShape.Builder shape) {
    if (shape.resolution().compareTo(sessionGap) > 0) {
      throw new IllegalArgumentException("segmentd.profile.resolution must not exceed usage.session-gap (" + sessionGap + ")");
    }
    shape.window(window);
  }

  /** Active days and session minutes only fall as interactions leave the window: so does the level. */
  @Override
  public boolean monotone() {
    return true;
  }

  @Override
  public List<Instant> changeCandidates(Profile profile, Instant asOf) {
    return NextChange.exits(profile.window(asOf, window), Fact::isInteraction, window);
  }
}
