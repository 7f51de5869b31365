package io.segmentd.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import io.segmentd.testing.Events;
import io.segmentd.testing.TestSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BacktestTest {
  private static final SegmentEngine ENGINE = TestSettings.engine();
  private static final ProfileSettings PROFILE = TestSettings.profile();
  private static final String LOYAL = "loyalty:loyal";
  private static final Instant T0 = Instant.parse("2011-09-01T00:00:00Z");
  private static final Duration HORIZON = Duration.ofDays(90);

  /** Customers ordering at random from a year before T0 to half a year after it; some often, most rarely. */
  private static List<List<BehaviorEvent>> histories(long seed, int customers) {
    Random random = new Random(seed);
    List<List<BehaviorEvent>> all = new ArrayList<>();
    Instant start = T0.minus(Duration.ofDays(365));
    for (int c = 0; c < customers; c++) {
      List<BehaviorEvent> facts = new ArrayList<>();
      int orders = 1 + (c % 3 == 0 ? random.nextInt(12) : random.nextInt(3));
      for (int o = 0; o < orders; o++) {
        Instant at = start.plus(Duration.ofMinutes(random.nextInt(545 * 24 * 60)));
        facts.add(Events.order("c" + c + "-o" + o, at.toString(), "c" + c + "-o" + o, Integer.toString(5 + random.nextInt(200))));
        facts.add(Events.track("c" + c + "-v" + o, at.minus(Duration.ofMinutes(5)).toString(), "Product Viewed", Map.of()));
      }
      all.add(facts);
    }
    return all;
  }

  private static List<PropensityFeatures.Example> trainingSet(List<List<BehaviorEvent>> histories) {
    List<PropensityFeatures.Example> examples = new ArrayList<>();
    for (int c = 0; c < histories.size(); c++) {
      Backtest.trainingExample("c" + c, histories.get(c), T0, HORIZON, ENGINE, PROFILE, LOYAL).ifPresent(examples::add);
    }
    return examples;
  }

  @Test
  void trainingNeverReadsAnEventAfterAsOf() {
    List<List<BehaviorEvent>> histories = histories(42, 300);
    // The same customers with a burst of orders after T0: what training sees must not change at all.
    List<List<BehaviorEvent>> withFuture = new ArrayList<>();
    for (int c = 0; c < histories.size(); c++) {
      List<BehaviorEvent> more = new ArrayList<>(histories.get(c));
      for (int o = 0; o < 6; o++) {
        String at = T0.plus(Duration.ofDays(1 + o)).toString();
        more.add(Events.order("future-" + c + "-" + o, at, "future-" + c + "-" + o, "999"));
      }
      withFuture.add(more);
    }
    List<PropensityFeatures.Example> before = trainingSet(histories);
    List<PropensityFeatures.Example> after = trainingSet(withFuture);
    assertEquals(before, after);
    assertTrue(before.stream().anyMatch(PropensityFeatures.Example::label) && before.stream().anyMatch(e -> !e.label()),
        "both outcomes occur, so the model is a real one");
    assertEquals(PropensityModel.train(before, 5).weights(), PropensityModel.train(after, 5).weights());
    // ... while the evaluation, which looks past T0, does see them.
    Optional<PropensityFeatures.Example> evaluated = Backtest.example("c1", PropensityFeatures.upTo(withFuture.get(1), T0.plus(HORIZON)), T0,
        HORIZON, ENGINE, PROFILE, LOYAL);
    assertTrue(evaluated.isEmpty() || evaluated.get().label(), "six orders in the horizon make anyone loyal");
  }

  @Test
  void featuresRefuseAFactAfterTheirInstant() {
    List<BehaviorEvent> facts = List.of(Events.order("o1", "2011-09-02T00:00:00Z", "o1", "10"));
    assertThrows(IllegalArgumentException.class, () -> PropensityFeatures.asOf(facts, T0, ENGINE, PROFILE, LOYAL));
  }

  @Test
  void enteringIsBeingInTheTargetAtSomeInstantOfTheHorizon() {
    List<BehaviorEvent> four = new ArrayList<>();
    for (int o = 0; o < 4; o++) four.add(Events.order("o" + o, "2011-0" + (4 + o) + "-10T10:00:00Z", "o" + o, "20"));
    List<BehaviorEvent> fifthInside = new ArrayList<>(four);
    fifthInside.add(Events.order("o5", "2011-10-01T10:00:00Z", "o5", "20"));
    assertFalse(PropensityFeatures.isIn(four, T0, ENGINE, PROFILE, LOYAL));
    assertTrue(PropensityFeatures.entered(fifthInside, T0, HORIZON, ENGINE, PROFILE, LOYAL));
    assertFalse(PropensityFeatures.entered(four, T0, HORIZON, ENGINE, PROFILE, LOYAL));
    assertThrows(IllegalArgumentException.class, () -> PropensityFeatures.entered(
        List.of(Events.order("late", "2012-01-01T00:00:00Z", "late", "1")), T0, HORIZON, ENGINE, PROFILE, LOYAL));
  }

  @Test
  void aucAndPrecisionAreTheTextbookOnes() {
    double[] scores = {0.1, 0.4, 0.35, 0.8};
    boolean[] actual = {false, false, true, true};
    assertEquals(0.75, Backtest.auc(scores, actual));
    assertEquals(0.5, Backtest.auc(new double[] {1, 1}, new boolean[] {true, false}), "a tie counts half");
    assertEquals(1.0, Backtest.precisionAtTop(scores, actual, 0.1), "the top one is a positive");
    assertEquals(0.5, Backtest.precisionAtTop(scores, actual, 0.5));
  }

  @Test
  void aModelLearnsWhatTheHistoriesHoldAndExplainsItsScores() {
    Backtest backtest = new Backtest(LOYAL, T0, HORIZON, ENGINE, PROFILE);
    List<List<BehaviorEvent>> histories = histories(7, 600);
    for (int c = 0; c < histories.size(); c++) backtest.add("c" + c, histories.get(c));
    Backtest.Result result = backtest.run(10);
    assertTrue(result.model().auc() > 0.5, "better than chance: " + result.model());
    assertEquals(10, result.calibration().size());
    PropensityModel model = PropensityModel.train(trainingSet(histories), 10);
    PropensityFeatures.Example someone = trainingSet(histories).get(0);
    PropensityModel.Score score = model.score(someone.features(), 3);
    assertEquals(3, score.top().size());
    assertEquals(model.probability(someone.features()), PropensityModel.fromBytes(model.toBytes()).probability(someone.features()),
        "stored and read back, the same model");
  }
}
