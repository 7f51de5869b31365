package io.segmentd.segmentation;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import io.segmentd.segmentation.custom.CustomDefinition;
import io.segmentd.segmentation.custom.CustomFamily;
import io.segmentd.segmentation.custom.DefinitionParser;
import io.segmentd.segmentation.custom.InvalidDefinition;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The one place segment memberships are computed: {@code evaluate(profile, asOf)} is a pure
 * function of the profile, the configured families and the instant. The live entity, replays
 * and tests all call it.
 */
public final class SegmentEngine {
  /** How many candidate instants one search for a family's next change looks at before settling for a wake-up. */
  static final int DEFAULT_SCAN_LIMIT = 64;

  private final int ruleVersion;
  private final List<SegmentFamily> families;
  private final CustomFamily custom;
  private final int scanLimit;

  public SegmentEngine(int ruleVersion, List<SegmentFamily> families) {
    this(ruleVersion, families, new CustomFamily(List.of()), DEFAULT_SCAN_LIMIT);
  }

  public SegmentEngine(int ruleVersion, List<SegmentFamily> families, CustomFamily custom, int scanLimit) {
    this.ruleVersion = ruleVersion;
    this.families = List.copyOf(families);
    this.custom = custom;
    this.scanLimit = scanLimit;
  }

  /**
   * Reads {@code segmentd.segments}.
   *
   * @throws InvalidDefinition naming the bad part of a custom definition
   */
  public static SegmentEngine fromConfig(Config segments) {
    List<SegmentFamily> builtIn = List.of(
        PurchasingFamily.fromConfig(segments.getConfig("purchasing")),
        BenefitFamily.fromConfig(segments.getConfig("benefit")),
        JourneyFamily.fromConfig(segments.getConfig("journey")),
        UsageFamily.fromConfig(segments.getConfig("usage")),
        OccasionFamily.fromConfig(segments.getConfig("occasion")),
        LoyaltyFamily.fromConfig(segments.getConfig("loyalty")),
        EngagementFamily.fromConfig(segments.getConfig("engagement")));
    return new SegmentEngine(segments.getInt("rule-version"), builtIn, customFromConfig(segments),
        segments.getInt("change-scan-limit"));
  }

  private static CustomFamily customFromConfig(Config segments) {
    Set<String> known = new HashSet<>(SegmentCatalog.builtInSegments(segments));
    List<CustomDefinition> definitions = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    List<? extends ConfigValue> values = segments.getList("custom");
    for (int i = 0; i < values.size(); i++) {
      JsonNode node;
      try {
        node = json.readTree(values.get(i).render(ConfigRenderOptions.concise()));
      } catch (JsonProcessingException e) {
        throw new InvalidDefinition("segmentd.segments.custom[" + i + "]", e.getOriginalMessage());
      }
      CustomDefinition definition = DefinitionParser.parse(node, known);
      if (!known.add(definition.id())) throw new InvalidDefinition(definition.id() + ".id", "is defined twice");
      definitions.add(definition);
    }
    return new CustomFamily(List.copyOf(definitions));
  }

  public int ruleVersion() {
    return ruleVersion;
  }

  /** The version of the rule behind a segment: its own for a custom definition, else the built-in rule version. */
  public int versionOf(String segment) {
    return custom.definition(segment).map(CustomDefinition::version).orElse(ruleVersion);
  }

  public CustomFamily custom() {
    return custom;
  }

  /** The RFM scores and values as of an instant; empty without orders (or without a purchasing family). */
  public Optional<PurchasingFamily.Rfm> rfm(Profile profile, Instant asOf) {
    return families.stream().filter(f -> f instanceof PurchasingFamily).map(f -> (PurchasingFamily) f)
        .findFirst().flatMap(p -> p.rfm(profile, asOf));
  }

  public List<SegmentFamily> families() {
    return families;
  }

  /** Every membership as of {@code asOf}, keyed and sorted by segment id. */
  public Map<String, Membership> evaluate(Profile profile, Instant asOf) {
    Map<String, Membership> memberships = evaluateBuiltIn(profile, asOf);
    for (Membership m : custom.evaluate(profile, asOf, memberships)) memberships.put(m.segment(), m);
    return memberships;
  }

  private Map<String, Membership> evaluateBuiltIn(Profile profile, Instant asOf) {
    Map<String, Membership> memberships = new TreeMap<>();
    for (SegmentFamily family : families) {
      for (Membership m : family.evaluate(profile, asOf)) memberships.put(m.segment(), m);
    }
    return memberships;
  }

  /**
   * The values that ended a membership of {@code segment} at {@code asOf} (an exit's cause): its
   * family's explanation of that segment then, e.g. the RFM scores for an RFM cell. {@code
   * evaluated}: every membership at {@code asOf}.
   */
  public Map<String, String> exitValues(String segment, Profile profile, Instant asOf, Map<String, Membership> evaluated) {
    if (custom.definition(segment).isPresent()) return custom.explain(segment, profile, asOf, evaluated);
    String family = SegmentId.family(segment);
    for (SegmentFamily f : families) {
      if (!f.name().equals(family)) continue;
      List<Membership> own = evaluated.values().stream().filter(m -> m.family().equals(family)).toList();
      return f.explain(segment, profile, asOf, own);
    }
    return Map.of();
  }

  /** What the rules read of events, grouped in steps of {@code resolution}: what a profile must keep. */
  public FactShape factShape(Duration resolution) {
    return describe(new FactShape.Builder(resolution)).build();
  }

  /** Adds what these rules read to {@code shape}. */
  public FactShape.Builder describe(FactShape.Builder shape) {
    families.forEach(f -> f.describe(shape));
    custom.describe(shape);
    return shape;
  }

  /** The same families with other custom definitions (definitions changed at run time). */
  public SegmentEngine withCustom(CustomFamily other) {
    return new SegmentEngine(ruleVersion, families, other, scanLimit);
  }

  /**
   * The earliest instant after {@code asOf} at which a membership changes without new events, or
   * an instant before it at which to look again (when one evaluation has looked at enough).
   */
  public Optional<Instant> nextChange(Profile profile, Instant asOf) {
    // An event stamped slightly ahead of the clock starts to count when its own time comes.
    Instant earliest = profile.firstFactAfter(asOf).orElse(null);
    for (SegmentFamily family : families) {
      Instant before = earliest;
      Optional<Instant> next = NextChange.firstDifference(asOf, before, family.changeCandidates(profile, asOf),
          at -> segmentsOf(family.evaluate(profile, at)), family.monotone(), scanLimit);
      if (next.isPresent()) earliest = next.get();
    }
    if (!custom.definitions().isEmpty()) {
      Map<String, Membership> builtIn = evaluateBuiltIn(profile, asOf);
      Optional<Instant> next = NextChange.firstDifference(asOf, earliest, custom.changeCandidates(profile, asOf, builtIn),
          at -> segmentsOf(custom.evaluate(profile, at, builtIn)), false, scanLimit);
      if (next.isPresent()) earliest = next.get();
    }
    return Optional.ofNullable(earliest);
  }

  private static Set<String> segmentsOf(List<Membership> memberships) {
    Set<String> segments = new HashSet<>();
    for (Membership m : memberships) segments.add(m.segment());
    return segments;
  }
}
