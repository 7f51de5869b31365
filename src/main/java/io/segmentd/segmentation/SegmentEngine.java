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
  private final int ruleVersion;
  private final List<SegmentFamily> families;
  private final CustomFamily custom;

  public SegmentEngine(int ruleVersion, List<SegmentFamily> families) {
    this(ruleVersion, families, new CustomFamily(List.of()));
  }

  public SegmentEngine(int ruleVersion, List<SegmentFamily> families, CustomFamily custom) {
    this.ruleVersion = ruleVersion;
    this.families = List.copyOf(families);
    this.custom = custom;
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
    return new SegmentEngine(segments.getInt("rule-version"), builtIn, customFromConfig(segments));
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

  /** The earliest instant after {@code asOf} at which a membership may change without new events. */
  public Optional<Instant> nextChange(Profile profile, Instant asOf) {
    // An event stamped slightly ahead of the clock starts to count when its own time comes.
    Instant earliest = profile.firstFactAfter(asOf).orElse(null);
    for (SegmentFamily family : families) {
      Optional<Instant> next = family.nextChange(profile, asOf);
      if (next.isPresent() && (earliest == null || next.get().isBefore(earliest))) earliest = next.get();
    }
    if (!custom.definitions().isEmpty()) {
      Optional<Instant> next = custom.nextChange(profile, asOf, evaluateBuiltIn(profile, asOf));
      if (next.isPresent() && (earliest == null || next.get().isBefore(earliest))) earliest = next.get();
    }
    return Optional.ofNullable(earliest);
  }
}
