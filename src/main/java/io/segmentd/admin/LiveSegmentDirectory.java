package io.segmentd.admin;

import com.typesafe.config.Config;
import io.segmentd.definitions.LiveDefinitions;
import io.segmentd.query.SegmentDirectory;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.SegmentCatalog;
import io.segmentd.segmentation.SegmentEngine;
import io.segmentd.segmentation.custom.CustomDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The configured segments, and the stored ones at their active versions as this node last read them. */
public final class LiveSegmentDirectory implements SegmentDirectory {
  private final List<String> configured;
  private final SegmentEngine configuredEngine;
  private final LiveDefinitions live;

  public LiveSegmentDirectory(Config segments, SegmentEngine configuredEngine, LiveDefinitions live) {
    List<String> ids = new ArrayList<>(SegmentCatalog.builtInSegments(segments));
    configuredEngine.custom().definitions().forEach(d -> ids.add(d.id()));
    this.configured = List.copyOf(ids);
    this.configuredEngine = configuredEngine;
    this.live = live;
  }

  @Override
  public List<String> ids() {
    List<String> ids = new ArrayList<>(configured);
    ids.addAll(live.activeStored().keySet());
    return ids;
  }

  @Override
  public Optional<String> readSideKey(String id) {
    return live.queryKey(id);
  }

  @Override
  public int version(String id) {
    Integer stored = live.activeStored().get(id);
    return stored != null ? stored : configuredEngine.versionOf(id);
  }

  @Override
  public Optional<String> customDefinition(String id) {
    Optional<CustomDefinition> configuredOne = configuredEngine.custom().definition(id);
    if (configuredOne.isPresent()) return Optional.of(configuredOne.get().source());
    return live.queryKey(id).flatMap(live::definition).map(CustomDefinition::source);
  }

  @Override
  public Map<String, Membership> shown(Map<String, Membership> memberships) {
    Map<String, Membership> shown = new TreeMap<>();
    for (Membership m : memberships.values()) {
      if (!live.isShown(m.segment())) continue;
      String id = LiveDefinitions.unversioned(m.segment());
      shown.put(id, new Membership(id, m.values()));
    }
    return shown;
  }
}
