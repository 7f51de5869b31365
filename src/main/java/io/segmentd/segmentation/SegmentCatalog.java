package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Every segment id the built-in families can produce with a configuration, in family order. */
public final class SegmentCatalog {
  private SegmentCatalog() {}

  public static List<String> builtInSegments(Config segments) {
    Set<String> ids = new LinkedHashSet<>();
    for (Config cell : segments.getConfigList("purchasing.rfm.map")) ids.add("purchasing:" + cell.getString("name"));
    ids.add("purchasing:cart-abandoner");
    ids.add("purchasing:discount-seeker");
    for (Config rule : segments.getConfigList("benefit.rules")) ids.add("benefit:" + rule.getString("benefit"));
    for (Config stage : segments.getConfigList("journey.stages")) ids.add("journey:" + stage.getString("name"));
    ids.add("journey:lapsed");
    for (String level : List.of("heavy", "average", "light", "inactive")) ids.add("usage:" + level);
    for (Config window : segments.getConfigList("occasion.calendar-windows")) ids.add("occasion:" + window.getString("name"));
    ids.add("occasion:weekend");
    for (Config part : segments.getConfigList("occasion.time-of-day.parts")) ids.add("occasion:" + part.getString("name"));
    for (String level : List.of("advocate", "loyal", "repeat", "one-time", "churn-risk", "churned")) ids.add("loyalty:" + level);
    for (String level : List.of("high", "average", "occasional", "dormant")) ids.add("engagement:" + level);
    return new ArrayList<>(ids);
  }
}
