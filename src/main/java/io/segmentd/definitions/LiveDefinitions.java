package io.segmentd.definitions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.segmentd.customer.EngineSource;
import io.segmentd.http.JsonSupport;
import io.segmentd.segmentation.FactShape;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import io.segmentd.segmentation.custom.CustomDefinition;
import io.segmentd.segmentation.custom.CustomFamily;
import io.segmentd.segmentation.custom.DefinitionParser;
import io.segmentd.segmentation.custom.InvalidDefinition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The definitions this node evaluates with: the configured families and custom segments, plus the
 * custom segments stored in Cassandra ({@link DefinitionStore}), refreshed at an interval, so every
 * node sees a change without a restart. A stored segment is evaluated under a versioned id,
 * {@code custom:<name>@<version>}, for its active version and, while a new version is backfilled,
 * its pending one too: the read side keeps both apart, and queries answer from the active one
 * until the switch.
 */
public final class LiveDefinitions implements EngineSource {
  private static final Logger log = LoggerFactory.getLogger(LiveDefinitions.class);

  private final SegmentEngine configured;
  private final Set<String> configuredIds;
  private final ProfileSettings profile;
  private final DefinitionStore store;
  private final Map<String, CustomDefinition> parsed = new ConcurrentHashMap<>();
  private volatile Snapshot snapshot;
  private volatile boolean loaded;

  /** The heads as last read and the engine they give. */
  public record Snapshot(Map<String, DefinitionStore.Head> heads, SegmentEngine engine) {}

  /**
   * @param configuredIds the built-in segment ids and the configured custom ones (a stored
   *     definition may refer to those, and may not take their ids)
   */
  public LiveDefinitions(SegmentEngine configured, Set<String> configuredIds, ProfileSettings profile, DefinitionStore store) {
    this.configured = configured;
    this.configuredIds = Set.copyOf(configuredIds);
    this.profile = profile;
    this.store = store;
    this.snapshot = new Snapshot(Map.of(), configured);
  }

  @Override
  public SegmentEngine current() {
    return snapshot.engine();
  }

  /** True once the stored definitions have been read (the first refresh that reached Cassandra). */
  @Override
  public boolean ready() {
    return loaded;
  }

  public Snapshot snapshot() {
    return snapshot;
  }

  public static String versioned(String id, int version) {
    return id + "@" + version;
  }

  /** {@code custom:x@2} -> {@code custom:x}. */
  public static String unversioned(String segment) {
    int at = segment.indexOf('@');
    return at < 0 ? segment : segment.substring(0, at);
  }

  public static Optional<Integer> versionOf(String segment) {
    int at = segment.indexOf('@');
    return at < 0 ? Optional.empty() : Optional.of(Integer.parseInt(segment.substring(at + 1)));
  }

  public boolean isConfigured(String id) {
    return configuredIds.contains(id);
  }

  /** The read-side key queries of {@code id} answer from: itself when configured, its active version when stored. */
  public Optional<String> queryKey(String id) {
    if (configuredIds.contains(id)) return Optional.of(id);
    DefinitionStore.Head head = snapshot.heads().get(id);
    if (head == null || head.deleted()) return Optional.empty();
    return head.active().map(v -> versioned(id, v));
  }

  /** Whether a membership under this (possibly versioned) id is one queries show now. */
  public boolean isShown(String segment) {
    Optional<Integer> version = versionOf(segment);
    if (version.isEmpty()) return true;
    DefinitionStore.Head head = snapshot.heads().get(unversioned(segment));
    return head != null && head.active().equals(version);
  }

  /** The stored segments queries answer for (with an active version), by id. */
  public Map<String, Integer> activeStored() {
    Map<String, Integer> active = new TreeMap<>();
    snapshot.heads().values().forEach(h -> {
      if (!h.deleted()) h.active().ifPresent(v -> active.put(h.id(), v));
    });
    return active;
  }

  public Optional<CustomDefinition> definition(String versionedId) {
    return Optional.ofNullable(parsed.get(versionedId));
  }

  /**
   * Parses a definition as PUT to {@code /v1/segments/{id}} (its description and rule), checking
   * everything a configured one is checked for, and that the profile keeps what it reads.
   *
   * @throws InvalidDefinition naming the bad part
   */
  public CustomDefinition parse(String id, int version, JsonNode body) {
    if (configuredIds.contains(id)) {
      throw new InvalidDefinition(id, "is defined in the configuration (segmentd.segments), not through the API");
    }
    if (!body.isObject()) throw new InvalidDefinition(id, "the body must be a JSON object with a rule");
    ObjectNode node = ((ObjectNode) body.deepCopy());
    node.put("id", id);
    node.put("version", version);
    CustomDefinition definition = DefinitionParser.parse(node, configuredIds);
    FactShape.Builder reads = new FactShape.Builder(profile.shape().resolution());
    definition.rule().describe(reads);
    FactShape needed = reads.build();
    for (String dimension : needed.dimensions()) {
      if (!profile.shape().dimensions().contains(dimension)) {
        throw new InvalidDefinition(id + ".rule", "filters on the property '" + dimension + "', which the profile does not keep: add it to "
            + "segmentd.profile.keep.dimensions (then a restart and replay rebuild), or use one of " + profile.shape().dimensions());
      }
    }
    for (String measure : needed.measures()) {
      if (!profile.shape().measures().contains(measure)) {
        throw new InvalidDefinition(id + ".rule", "aggregates the property '" + measure + "', which the profile does not keep: add it to "
            + "segmentd.profile.keep.measures, or use one of " + profile.shape().measures());
      }
    }
    for (var boundary : needed.boundaries()) {
      if (!profile.shape().boundaries().contains(boundary)) {
        throw new InvalidDefinition(id + ".rule", "'between' starts or ends at " + boundary + ", which is not a boundary the profile keeps "
            + "(event groups may straddle it): use a rolling window, or define the segment in segmentd.segments.custom");
      }
    }
    if (needed.longestWindow().compareTo(profile.interactionRetention()) >= 0) {
      throw new InvalidDefinition(id + ".rule", "a window of " + needed.longestWindow() + " reaches past segmentd.profile.interaction-retention ("
          + profile.interactionRetention() + ")");
    }
    return new CustomDefinition(versioned(id, version), version, definition.description(), definition.rule(), definition.source());
  }

  /** Reads the heads and the versions they name; the engine changes only when they do. */
  public CompletionStage<Snapshot> refresh() {
    return store.heads().thenCompose(heads -> {
      List<CompletableFuture<Void>> loads = new ArrayList<>();
      for (DefinitionStore.Head head : heads) {
        if (head.deleted()) continue;
        for (int version : live(head)) {
          String key = versioned(head.id(), version);
          if (parsed.containsKey(key)) continue;
          loads.add(store.version(head.id(), version).thenAccept(found -> found.ifPresent(v -> {
            try {
              parsed.put(key, parse(head.id(), version, JsonSupport.MAPPER.readTree(v.definition())));
            } catch (Exception e) {
              log.error("stored definition {} does not load: {}", key, e.getMessage());
            }
          })).toCompletableFuture());
        }
      }
      return CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new)).thenApply(v -> {
        Map<String, DefinitionStore.Head> byId = new LinkedHashMap<>();
        heads.forEach(h -> byId.put(h.id(), h));
        Snapshot was = snapshot;
        if (!byId.equals(was.heads())) {
          // Progress of a backfill changes the heads, not the engine: the engine is rebuilt only when versions do.
          boolean versionsChanged = !liveVersions(byId).equals(liveVersions(was.heads()));
          snapshot = new Snapshot(Map.copyOf(byId), versionsChanged ? engine(byId) : was.engine());
        }
        loaded = true;
        return snapshot;
      });
    });
  }

  private Map<String, List<Integer>> liveVersions(Map<String, DefinitionStore.Head> heads) {
    Map<String, List<Integer>> versions = new TreeMap<>();
    heads.values().forEach(h -> {
      if (!h.deleted()) versions.put(h.id(), live(h).stream().filter(v -> parsed.containsKey(versioned(h.id(), v))).toList());
    });
    return versions;
  }

  private static List<Integer> live(DefinitionStore.Head head) {
    List<Integer> versions = new ArrayList<>();
    head.active().ifPresent(versions::add);
    head.pending().ifPresent(versions::add);
    return versions;
  }

  private SegmentEngine engine(Map<String, DefinitionStore.Head> heads) {
    List<CustomDefinition> definitions = new ArrayList<>(configured.custom().definitions());
    Set<String> added = new HashSet<>();
    for (DefinitionStore.Head head : new TreeMap<>(heads).values()) {
      if (head.deleted()) continue;
      for (int version : live(head)) {
        CustomDefinition definition = parsed.get(versioned(head.id(), version));
        if (definition != null && added.add(definition.id())) definitions.add(definition);
      }
    }
    return configured.withCustom(new CustomFamily(List.copyOf(definitions)));
  }

  /** Refreshes every {@code interval} on {@code scheduler} until the system stops. */
  public void refreshEvery(Duration interval, org.apache.pekko.actor.typed.ActorSystem<?> system) {
    system.scheduler().scheduleWithFixedDelay(Duration.ZERO, interval, () -> refresh().whenComplete((s, e) -> {
      if (e != null) log.warn("could not refresh the stored segment definitions: {}", e.getMessage());
    }), system.executionContext());
  }
}
