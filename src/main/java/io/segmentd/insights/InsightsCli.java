package io.segmentd.insights;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.segmentd.replay.CustomerJournal;
import io.segmentd.replay.ParallelScan;
import io.segmentd.replay.Progress;
import io.segmentd.replay.ReplayEnvironment;
import io.segmentd.replay.ReplaySettings;
import io.segmentd.replay.TokenRanges;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code segmentd insights backtest --target SEGMENT --as-of T0 [--horizon 90d] [--epochs N] [--json]}:
 * trains a propensity model on the journals as they were at T0 and scores it on what happened by
 * T0 + horizon, beside the recency-only baseline. Exit codes: 0 done, 1 failed, 2 bad usage.
 */
public final class InsightsCli {
  static final String USAGE = """
      usage: segmentd insights backtest --target SEGMENT --as-of T0 [--horizon 90d] [--epochs 20] [--json] [--config FILE]

      Trains the propensity model as of T0 (features as of T0 - horizon, labels from the horizon up to T0:
      nothing after T0 is read for training) and evaluates it on the customers as of T0 against what really
      happened by T0 + horizon, beside a naive baseline (recency alone). Prints AUC, precision at the top
      10 %, the calibration by deciles and the strongest weights.
      """;

  private final PrintStream out;
  private final PrintStream err;
  private final Callable<ReplayEnvironment> environment;

  public InsightsCli(PrintStream out, PrintStream err, Callable<ReplayEnvironment> environment) {
    this.out = out;
    this.err = err;
    this.environment = environment;
  }

  public int run(String[] args) {
    if (args.length == 0 || !args[0].equals("backtest")) {
      err.print(USAGE);
      return 2;
    }
    Map<String, String> options = new HashMap<>();
    boolean json = false;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--json" -> json = true;
        case "--help" -> {
          out.print(USAGE);
          return 0;
        }
        case "--target", "--as-of", "--horizon", "--epochs", "--config" -> {
          if (i + 1 >= args.length) return usage(args[i] + " needs a value");
          options.put(args[i].substring(2), args[++i]);
        }
        default -> {
          return usage("unknown option '" + args[i] + "'");
        }
      }
    }
    if (!options.containsKey("target") || !options.containsKey("as-of")) return usage("backtest needs --target and --as-of");
    Instant asOf;
    Duration horizon;
    int epochs;
    try {
      asOf = OffsetDateTime.parse(options.get("as-of")).toInstant();
      String h = options.getOrDefault("horizon", "90d");
      horizon = InsightsRoutes.duration(h);
      epochs = Integer.parseInt(options.getOrDefault("epochs", "20"));
    } catch (RuntimeException e) {
      return usage("bad value: " + e.getMessage());
    }
    try (ReplayEnvironment env = environment.call()) {
      var definitions = env.definitions();
      Backtest backtest = new Backtest(options.get("target"), asOf, horizon, definitions.settings().engine(), definitions.settings().profile());
      ReplaySettings settings = env.settings();
      ParallelScan.histories(env.scan(), env.decoder(), TokenRanges.split(settings.tokenRanges()).ranges(), settings.parallelism(),
          Progress.toStderr("backtest", settings.tokenRanges(), 0), history -> backtest.add(history.customerId(),
              CustomerJournal.facts(history.entries().stream().map(io.segmentd.replay.CustomerHistory.Entry::event).toList())));
      Backtest.Result result = backtest.run(epochs);
      if (json) {
        out.println(new ObjectMapper().findAndRegisterModules().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .writerWithDefaultPrettyPrinter().writeValueAsString(result));
      } else {
        print(result);
      }
      return 0;
    } catch (Exception e) {
      err.println("segmentd insights backtest: " + e.getMessage());
      return 1;
    }
  }

  private void print(Backtest.Result r) {
    out.printf("backtest of %s: trained as of %s (features), labels up to %s; evaluated as of %s, outcomes up to %s (%.0f days)%n",
        r.target(), r.trainedAsOf(), r.asOf(), r.asOf(), r.until(), r.horizonDays());
    out.printf("training: %,d prospects, %,d entered%n", r.trainingExamples(), r.trainingPositives());
    out.printf("evaluation: %,d prospects, %,d entered%n", r.model().examples(), r.model().positives());
    out.printf("%-22s %8s %18s%n", "", "AUC", "precision@top10%");
    out.printf("%-22s %8.3f %18.3f%n", "model", r.model().auc(), r.model().precisionAtTop10());
    out.printf("%-22s %8.3f %18.3f%n", "recency alone", r.recencyBaseline().auc(), r.recencyBaseline().precisionAtTop10());
    out.println("calibration (deciles by predicted probability):");
    out.printf("  %4s %10s %14s %10s%n", "bin", "customers", "mean predicted", "observed");
    for (Backtest.CalibrationBin b : r.calibration()) {
      out.printf("  %4d %,10d %14.3f %10.3f%n", b.bin(), b.customers(), b.meanPredicted(), b.observed());
    }
    out.println("strongest weights (log-odds of entering):");
    r.strongestWeights().forEach((feature, weight) -> out.printf("  %-40s %+.3f%n", feature, weight));
  }

  private int usage(String problem) {
    err.println("segmentd insights: " + problem);
    err.print(USAGE);
    return 2;
  }
}
