package io.segmentd.segmentation;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code benefit:<name>}: the benefit whose weighted evidence in the rolling window dominates.
 * Evidence comes from rules matching an event name, a product category or a feature; the winner
 * needs at least {@code minEvidence} and must beat every other benefit (a tie decides nothing).
 */
public record BenefitFamily(Duration window, double minEvidence, List<Rule> rules) implements SegmentFamily {

  /** Evidence for {@code benefit}: facts matching every condition given (event, category, feature). */
  public record Rule(String benefit, String event, String category, String feature, double weight) {
    boolean matches(Fact fact) {
      if (event != null && !fact.name().equals(event)) return false;
      if (category != null) {
        Object single = fact.attributes().get("category");
        Object many = fact.attributes().get(Fact.PRODUCT_CATEGORIES);
        boolean found = category.equals(single) || (many instanceof List<?> list && list.contains(category));
        if (!found) return false;
      }
      return feature == null || feature.equals(fact.attributes().get("feature"));
    }
  }

  public static BenefitFamily fromConfig(Config config) {
    List<Rule> rules = new ArrayList<>();
    for (Config rule : config.getConfigList("rules")) {
      rules.add(new Rule(
          rule.getString("benefit"),
          rule.hasPath("event") ? rule.getString("event") : null,
          rule.hasPath("category") ? rule.getString("category") : null,
          rule.hasPath("feature") ? rule.getString("feature") : null,
          rule.hasPath("weight") ? rule.getDouble("weight") : 1.0));
    }
    return new BenefitFamily(config.getDuration("window"), config.getDouble("min-evidence"), List.copyOf(rules));
  }

  @Override
  public String name() {
    return "benefit";
  }

  private boolean isEvidence(Fact fact) {
    for (Rule rule : rules) {
      if (rule.matches(fact)) return true;
    }
    return false;
  }

  /** Weighted evidence per benefit in the window: whole counts per rule first, then weights, so grouping never changes a score. */
  private Map<String, Double> scores(Profile profile, Instant asOf) {
    long[] matches = new long[rules.size()];
    for (Fact fact : profile.window(asOf, window)) {
      for (int i = 0; i < rules.size(); i++) {
        if (rules.get(i).matches(fact)) matches[i] += fact.count();
      }
    }
    Map<String, Double> scores = new TreeMap<>();
    for (int i = 0; i < rules.size(); i++) {
      if (matches[i] > 0) scores.merge(rules.get(i).benefit(), rules.get(i).weight() * matches[i], Double::sum);
    }
    return scores;
  }

  @Override
  public List<Membership> evaluate(Profile profile, Instant asOf) {
    Map<String, Double> scores = scores(profile, asOf);
    String best = null;
    double bestScore = 0;
    boolean tie = false;
    for (Map.Entry<String, Double> score : scores.entrySet()) {
      if (score.getValue() > bestScore) {
        best = score.getKey();
        bestScore = score.getValue();
        tie = false;
      } else if (score.getValue() == bestScore) {
        tie = true;
      }
    }
    if (best == null || tie || bestScore < minEvidence) return List.of();
    return List.of(new Membership(SegmentId.of(name(), best), Map.of("evidence", Double.toString(bestScore),
        "scores", scores.toString())));
  }

  /** The left benefit's own evidence beside every score (there may be no membership left to take values from). */
  @Override
  public Map<String, String> explain(String segment, Profile profile, Instant asOf, List<Membership> evaluated) {
    Map<String, Double> scores = scores(profile, asOf);
    String benefit = segment.substring(segment.indexOf(':') + 1);
    return Map.of("evidence", Double.toString(scores.getOrDefault(benefit, 0.0)), "scores", scores.toString());
  }

  @Override
  public void describe(FactShape.Builder shape) {
    shape.window(window);
    for (Rule rule : rules) {
      if (rule.category() != null) shape.dimension("category").dimension(Fact.PRODUCT_CATEGORIES);
      if (rule.feature() != null) shape.dimension("feature");
    }
  }

  @Override
  public List<Instant> changeCandidates(Profile profile, Instant asOf) {
    return NextChange.exits(profile.window(asOf, window), this::isEvidence, window);
  }
}
