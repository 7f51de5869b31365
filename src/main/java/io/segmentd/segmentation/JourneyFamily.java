package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code journey:<stage>}: the furthest buyer-journey stage reached by milestone events and
 * orders; {@code journey:lapsed} instead once the customer has been silent longer than
 * {@code lapsedAfter} (the stage reached is kept in the membership's values).
 */
public record JourneyFamily(List<Stage> stages, Duration lapsedAfter) implements SegmentFamily {

  /** A stage is reached when any of its events has occurred (or it lists none) and enough orders exist. */
  public record Stage(String name, List<String> events, int minOrders) {
    boolean reachedBy(Profile profile, int orders, Instant asOf) {
      if (orders < minOrders) return false;
      return events.isEmpty() || events.stream().anyMatch(e -> profile.occurredBy(e, asOf));
    }
  }

  public static JourneyFamily fromConfig(Config config) {
    List<Stage> stages = new ArrayList<>();
    for (Config stage : config.getConfigList("stages")) {
      stages.add(new Stage(
          stage.getString("name"),
          stage.hasPath("events") ? List.copyOf(stage.getStringList("events")) : List.of(),
          stage.hasPath("min-orders") ? stage.getInt("min-orders") : 0));
    }
    return new JourneyFamily(List.copyOf(stages), config.getDuration("lapsed-after"));
  }

  @Override
  public String name() {
    return "journey";
  }

  @Override
  public List<Membership> evaluate(Profile profile, Instant asOf) {
    if (!profile.seenBy(asOf)) return List.of();
    int orders = profile.purchasingAsOf(asOf).orders();
    String reached = null;
    for (Stage stage : stages) {
      if (stage.reachedBy(profile, orders, asOf)) reached = stage.name();
    }
    if (reached == null) return List.of();
    Optional<Instant> lastActivity = profile.lastActivityAsOf(asOf);
    if (lastActivity.isPresent() && Duration.between(lastActivity.get(), asOf).compareTo(lapsedAfter) > 0) {
      return List.of(new Membership(SegmentId.of(name(), "lapsed"),
          Map.of("stage", reached, "lastActivityAt", lastActivity.get().toString())));
    }
    return List.of(new Membership(SegmentId.of(name(), reached),
        Map.of("stage", reached, "orders", Integer.toString(orders))));
  }

  @Override
  public List<Instant> changeCandidates(Profile profile, Instant asOf) {
    return profile.lastActivityAsOf(asOf).map(last -> List.of(last.plus(lapsedAfter).plus(NextChange.TICK))).orElse(List.of());
  }
}
