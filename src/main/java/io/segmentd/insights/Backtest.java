package io.segmentd.insights;

import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Honest evaluation by time travel. A model is trained as of {@code asOf}: features as of
 * {@code asOf - horizon}, labels from {@code (asOf - horizon, asOf]}, so training reads nothing
 * after {@code asOf}. It is then scored on features as of {@code asOf} against what really
 * happened in {@code (asOf, asOf + horizon]}, beside a naive baseline (recency alone) on the same
 * customers. Customers already in the target at a feature instant are not prospects there and
 * are left out.
 */
public final class Backtest {
  private final String target;
  private final Instant asOf;
  private final Duration horizon;
  private final SegmentEngine engine;
  private final ProfileSettings settings;
  private final List<PropensityFeatures.Example> training = Collections.synchronizedList(new ArrayList<>());
  private final List<PropensityFeatures.Example> evaluation = Collections.synchronizedList(new ArrayList<>());

  public Backtest(String target, Instant asOf, Duration horizon, SegmentEngine engine, ProfileSettings settings) {
    this.target = target;
    this.asOf = asOf;
    this.horizon = horizon;
    this.engine = engine;
    this.settings = settings;
  }

  /** One customer's examples, from its facts (any order; thread-safe, for a parallel scan). */
  public void add(String customerId, List<BehaviorEvent> facts) {
    trainingExample(customerId, facts, asOf, horizon, engine, settings, target).ifPresent(training::add);
    example(customerId, PropensityFeatures.upTo(facts, asOf.plus(horizon)), asOf, horizon, engine, settings, target).ifPresent(evaluation::add);
  }

  /**
   * The training example of a customer: its facts are cut at {@code asOf} before anything else
   * looks at them (the leakage guard the tests hold), then features as of {@code asOf - horizon}
   * and the label from the horizon after.
   */
  static Optional<PropensityFeatures.Example> trainingExample(String customerId, List<BehaviorEvent> facts, Instant asOf, Duration horizon,
                                                              SegmentEngine engine, ProfileSettings settings, String target) {
    return example(customerId, PropensityFeatures.upTo(facts, asOf), asOf.minus(horizon), horizon, engine, settings, target);
  }

  /** Features as of {@code t} and the label of {@code (t, t + horizon]}; {@code facts} end at {@code t + horizon}. Empty when not a prospect at t. */
  static Optional<PropensityFeatures.Example> example(String customerId, List<BehaviorEvent> facts, Instant t, Duration horizon,
                                                      SegmentEngine engine, ProfileSettings settings, String target) {
    List<BehaviorEvent> known = PropensityFeatures.upTo(facts, t);
    if (known.isEmpty() || PropensityFeatures.isIn(known, t, engine, settings, target)) return Optional.empty();
    return Optional.of(new PropensityFeatures.Example(customerId, PropensityFeatures.asOf(known, t, engine, settings, target),
        PropensityFeatures.entered(facts, t, horizon, engine, settings, target)));
  }

  public record Metrics(double auc, double precisionAtTop10, long examples, long positives) {}

  /** One tenth of the evaluated customers by predicted probability: how many, the mean prediction, the share that entered. */
  public record CalibrationBin(int bin, long customers, double meanPredicted, double observed) {}

  public record Result(String target, Instant trainedAsOf, Instant asOf, Instant until, double horizonDays, long trainingExamples,
                       long trainingPositives, Metrics model, Metrics recencyBaseline, List<CalibrationBin> calibration,
                       Map<String, Double> strongestWeights) {}

  public Result run(int epochs) {
    List<PropensityFeatures.Example> train = sorted(training);
    List<PropensityFeatures.Example> test = sorted(evaluation);
    PropensityModel model = PropensityModel.train(train, epochs);
    double[] predicted = new double[test.size()];
    double[] recency = new double[test.size()];
    boolean[] actual = new boolean[test.size()];
    for (int i = 0; i < test.size(); i++) {
      predicted[i] = model.probability(test.get(i).features());
      recency[i] = -test.get(i).features().get("recencyDays");
      actual[i] = test.get(i).label();
    }
    Map<String, Double> strongest = new LinkedHashMap<>();
    model.weights().entrySet().stream().sorted(Comparator.comparingDouble((Map.Entry<String, Double> e) -> -Math.abs(e.getValue()))
        .thenComparing(Map.Entry::getKey)).limit(10).forEach(e -> strongest.put(e.getKey(), e.getValue()));
    return new Result(target, asOf.minus(horizon), asOf, asOf.plus(horizon), horizon.toHours() / 24.0, train.size(),
        train.stream().filter(PropensityFeatures.Example::label).count(), metrics(predicted, actual), metrics(recency, actual),
        calibration(predicted, actual), strongest);
  }

  /** In customer order: the scan's order must not change the model. */
  private static List<PropensityFeatures.Example> sorted(List<PropensityFeatures.Example> examples) {
    List<PropensityFeatures.Example> copy;
    synchronized (examples) {
      copy = new ArrayList<>(examples);
    }
    copy.sort(Comparator.comparing(PropensityFeatures.Example::customerId));
    return copy;
  }

  static Metrics metrics(double[] scores, boolean[] actual) {
    long positives = 0;
    for (boolean a : actual) if (a) positives++;
    return new Metrics(auc(scores, actual), precisionAtTop(scores, actual, 0.1), scores.length, positives);
  }

  /** The area under the ROC curve: the chance a random positive scores above a random negative (ties count half). */
  static double auc(double[] scores, boolean[] actual) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    java.util.Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
    double[] ranks = new double[scores.length];
    for (int i = 0; i < order.length; ) {
      int j = i;
      while (j + 1 < order.length && scores[order[j + 1]] == scores[order[i]]) j++;
      double rank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) ranks[order[k]] = rank;
      i = j + 1;
    }
    long positives = 0;
    double rankSum = 0;
    for (int i = 0; i < scores.length; i++) {
      if (actual[i]) {
        positives++;
        rankSum += ranks[i];
      }
    }
    long negatives = scores.length - positives;
    if (positives == 0 || negatives == 0) return Double.NaN;
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  /** The share of positives among the top {@code fraction} by score (at least one customer; ties broken by position). */
  static double precisionAtTop(double[] scores, boolean[] actual, double fraction) {
    if (scores.length == 0) return Double.NaN;
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    java.util.Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparingInt(i -> i));
    int k = Math.max(1, (int) Math.ceil(fraction * scores.length));
    long hits = 0;
    for (int i = 0; i < k; i++) if (actual[order[i]]) hits++;
    return (double) hits / k;
  }

  static List<CalibrationBin> calibration(double[] predicted, boolean[] actual) {
    Integer[] order = new Integer[predicted.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    java.util.Arrays.sort(order, Comparator.comparingDouble((Integer i) -> predicted[i]).thenComparingInt(i -> i));
    List<CalibrationBin> bins = new ArrayList<>();
    for (int b = 0; b < 10; b++) {
      int from = (int) ((long) b * order.length / 10);
      int to = (int) ((long) (b + 1) * order.length / 10);
      if (to <= from) continue;
      double sum = 0;
      long hits = 0;
      for (int i = from; i < to; i++) {
        sum += predicted[order[i]];
        if (actual[order[i]]) hits++;
      }
      bins.add(new CalibrationBin(b + 1, to - from, sum / (to - from), (double) hits / (to - from)));
    }
    return bins;
  }
}
