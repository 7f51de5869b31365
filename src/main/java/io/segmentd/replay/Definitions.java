package io.segmentd.replay;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import io.segmentd.customer.CustomerSettings;
import io.segmentd.segmentation.SegmentCatalog;
import io.segmentd.segmentation.custom.CustomDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A set of segment definitions a replay evaluates with, every segment id they can produce, and
 * what each definition is (the family's settings, a custom rule's source), to tell what changed.
 */
public record Definitions(CustomerSettings settings, List<String> segments, Map<String, String> sources) {

  private static final List<String> FAMILIES = List.of("purchasing", "benefit", "journey", "usage", "occasion", "loyalty", "engagement");

  /** @param segmentd the {@code segmentd} section the definitions come from */
  public static Definitions fromConfig(Config segmentd) {
    CustomerSettings settings = CustomerSettings.fromConfig(segmentd);
    Config segments = segmentd.getConfig("segments");
    List<String> ids = new ArrayList<>(SegmentCatalog.builtInSegments(segments));
    Map<String, String> sources = new HashMap<>();
    // Settings that change what a family computes: its own block, and the profile it reads.
    String profile = segmentd.getConfig("profile").root().render(ConfigRenderOptions.concise());
    for (String family : FAMILIES) sources.put(family, segments.getConfig(family).root().render(ConfigRenderOptions.concise()) + profile);
    for (CustomDefinition definition : settings.engine().custom().definitions()) {
      ids.add(definition.id());
      sources.put(definition.id(), definition.source() + "@" + definition.version());
    }
    return new Definitions(settings, List.copyOf(ids), Map.copyOf(sources));
  }

  /**
   * These definitions with the custom segments stored at run time (active and pending versions,
   * under their versioned ids), as the nodes evaluate them.
   */
  public Definitions withStored(io.segmentd.definitions.DefinitionStore store) throws Exception {
    Set<String> configured = new TreeSet<>(segments);
    var live = new io.segmentd.definitions.LiveDefinitions(settings.engine(), configured, settings.profile(), store);
    var engine = live.refresh().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS).engine();
    List<String> ids = new ArrayList<>(segments);
    Map<String, String> all = new HashMap<>(sources);
    for (CustomDefinition definition : engine.custom().definitions()) {
      if (configured.contains(definition.id())) continue;
      ids.add(definition.id());
      all.put(definition.id(), definition.source() + "@" + definition.version());
    }
    return new Definitions(settings.withEngines(io.segmentd.customer.EngineSource.fixed(engine)), List.copyOf(ids), Map.copyOf(all));
  }

  /** The segments whose definition differs between these and {@code other} (or exists in one only). */
  public Set<String> changedSegments(Definitions other) {
    Set<String> changed = new TreeSet<>();
    Set<String> all = new TreeSet<>(segments);
    all.addAll(other.segments);
    for (String segment : all) {
      String key = sources.containsKey(segment) || other.sources.containsKey(segment) ? segment : segment.substring(0, segment.indexOf(':'));
      if (!Objects.equals(sources.get(key), other.sources.get(key))) changed.add(segment);
    }
    return changed;
  }
}
