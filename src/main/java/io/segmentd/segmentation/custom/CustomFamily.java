package io.segmentd.segmentation.custom;

import io.segmentd.segmentation.FactShape;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The user-defined segments, evaluated after the built-in families (whose memberships rules may
 * refer to) and in definition order (so a definition may refer to an earlier one).
 */
public record CustomFamily(List<CustomDefinition> definitions) {

  public List<Membership> evaluate(Profile profile, Instant asOf, Map<String, Membership> builtIn) {
    Map<String, Membership> known = new LinkedHashMap<>(builtIn);
    List<Membership> memberships = new ArrayList<>();
    if (!profile.seenBy(asOf)) return memberships;
    for (CustomDefinition definition : definitions) {
      Map<String, String> values = new LinkedHashMap<>();
      if (definition.rule().test(new Rule.Context(profile, asOf, known, values))) {
        Membership m = new Membership(definition.id(), Map.copyOf(values));
        memberships.add(m);
        known.put(m.segment(), m);
      }
    }
    return memberships;
  }

  /**
   * The values a definition's rule reads as of {@code asOf}, whether it holds or not: what an exit
   * records. {@code evaluated}: every membership then (a rule may refer to other segments).
   */
  public Map<String, String> explain(String segment, Profile profile, Instant asOf, Map<String, Membership> evaluated) {
    return definition(segment).map(definition -> {
      Map<String, String> values = new LinkedHashMap<>();
      definition.rule().test(new Rule.Context(profile, asOf, evaluated, values));
      return Map.copyOf(values);
    }).orElse(Map.of());
  }

  /** Instants after which some definition may answer differently without new events (the engine checks which do). */
  public List<Instant> changeCandidates(Profile profile, Instant asOf, Map<String, Membership> builtIn) {
    List<Instant> candidates = new ArrayList<>();
    Rule.Context context = new Rule.Context(profile, asOf, builtIn, new LinkedHashMap<>());
    for (CustomDefinition definition : definitions) {
      definition.rule().candidates(context, candidate -> {
        if (candidate.isAfter(asOf)) candidates.add(candidate);
      });
    }
    return candidates;
  }

  public void describe(FactShape.Builder shape) {
    definitions.forEach(d -> d.rule().describe(shape));
  }

  public Optional<CustomDefinition> definition(String id) {
    return definitions.stream().filter(d -> d.id().equals(id)).findFirst();
  }
}
