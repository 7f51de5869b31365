package io.segmentd.insights;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.impl.ArrayExample;
import org.tribuo.provenance.SimpleDataSourceProvenance;
import com.oracle.labs.mlrg.olcut.util.Pair;

/**
 * A logistic regression (Tribuo's, trained by SGD with a fixed seed, so the same examples give the
 * same model) over {@link PropensityFeatures}: the probability of entering the target, and the
 * features behind it (weight times value, in the log-odds of entering).
 */
public final class PropensityModel {
  static final String YES = "entered";
  static final String NO = "not";
  private static final LabelFactory LABELS = new LabelFactory();
  /** Tribuo reports every training on java.util.logging at INFO; held here so the level set stays set. */
  private static final java.util.logging.Logger TRIBUO = java.util.logging.Logger.getLogger("org.tribuo");

  static {
    TRIBUO.setLevel(java.util.logging.Level.WARNING);
  }

  private final Model<Label> model;
  /** Per feature: the weight of YES minus that of NO (a two-class softmax is a logistic regression on this difference). */
  private final Map<String, Double> weights;

  private PropensityModel(Model<Label> model) {
    this.model = model;
    this.weights = weights(model);
  }

  /** A feature's share of a score: its weight times its value. */
  public record Contribution(String feature, double value, double weight, double effect) {}

  public record Score(double probability, List<Contribution> top) {}

  /** Trains on examples that all carry a label; both outcomes must occur. */
  public static PropensityModel train(List<PropensityFeatures.Example> examples, int epochs) {
    MutableDataset<Label> data = new MutableDataset<>(new SimpleDataSourceProvenance("segmentd journals", OffsetDateTime.parse("2000-01-01T00:00:00Z"),
        LABELS), LABELS);
    for (PropensityFeatures.Example e : examples) data.add(example(e.features(), e.label() ? YES : NO));
    if (data.getOutputInfo().getDomain().size() < 2) {
      throw new IllegalArgumentException("the training examples hold only one outcome: nothing to learn");
    }
    // Logistic loss (a two-class softmax), AdaGrad, minibatches of one, no progress logging, a fixed seed:
    // the same examples make the same model.
    return new PropensityModel(new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(0.1, 0.1), epochs, -1, 1, 1L).train(data));
  }

  private static ArrayExample<Label> example(Map<String, Double> features, String label) {
    String[] names = features.keySet().toArray(String[]::new);
    double[] values = new double[names.length];
    for (int i = 0; i < names.length; i++) values[i] = features.get(names[i]);
    return new ArrayExample<>(label == null ? LABELS.getUnknownOutput() : new Label(label), names, values);
  }

  public double probability(Map<String, Double> features) {
    Prediction<Label> prediction = model.predict(example(features, null));
    var yes = prediction.getOutputScores().get(YES);
    return yes == null ? 0 : yes.getScore();
  }

  /** The probability and the {@code n} features that moved it most, either way. */
  public Score score(Map<String, Double> features, int n) {
    List<Contribution> all = new ArrayList<>();
    features.forEach((name, value) -> {
      Double w = weights.get(name);
      if (w != null && value != 0) all.add(new Contribution(name, value, w, w * value));
    });
    all.sort(Comparator.comparingDouble((Contribution c) -> Math.abs(c.effect())).reversed().thenComparing(Contribution::feature));
    return new Score(probability(features), List.copyOf(all.subList(0, Math.min(n, all.size()))));
  }

  /** Every feature's weight (toward entering), for reports and for tests that two models are the same. */
  public Map<String, Double> weights() {
    return weights;
  }

  private static Map<String, Double> weights(Model<Label> model) {
    Map<String, List<Pair<String, Double>>> top = model.getTopFeatures(-1);
    Map<String, Double> yes = new HashMap<>();
    Map<String, Double> out = new HashMap<>();
    if (top.containsKey(YES)) top.get(YES).forEach(p -> yes.put(p.getA(), p.getB()));
    if (top.containsKey(NO)) top.get(NO).forEach(p -> out.put(p.getA(), -p.getB()));
    yes.forEach((name, w) -> out.merge(name, w, Double::sum));
    return out;
  }

  /** The model as bytes (Tribuo's protobuf form), to store with its version and training window. */
  public byte[] toBytes() {
    return model.serialize().toByteArray();
  }

  @SuppressWarnings("unchecked")
  public static PropensityModel fromBytes(byte[] bytes) {
    try {
      return new PropensityModel((Model<Label>) Model.deserialize(org.tribuo.protos.core.ModelProto.parseFrom(bytes)));
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a stored propensity model", e);
    }
  }
}
