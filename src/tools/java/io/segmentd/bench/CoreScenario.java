package io.segmentd.bench;

import io.segmentd.bench.jmh.SegmentEngineBenchmark;
import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The pure core under JMH (a forked JVM with the same jar): evaluations/s of
 * {@code SegmentEngine.evaluate} for a typical profile, seven families and ten custom segments.
 * No Cassandra is involved, so there is no raw figure.
 */
final class CoreScenario implements Scenario {
  @Override
  public String name() {
    return "core";
  }

  @Override
  public String description() {
    return "JMH: SegmentEngine.evaluate and nextChange calls/s, typical profile, 7 families + 10 custom segments";
  }

  @Override
  public void run(BenchContext ctx) throws Exception {
    Options options = new OptionsBuilder()
        .include(SegmentEngineBenchmark.class.getName())
        .forks(1)
        .warmupIterations(ctx.quick ? 3 : 5).warmupTime(TimeValue.seconds(ctx.quick ? 2 : 5))
        .measurementIterations(5).measurementTime(TimeValue.seconds(ctx.quick ? 2 : 5))
        .jvmArgs("-Xmx1g")
        .output(ctx.workDir.resolve("jmh.log").toString())
        .build();
    Collection<RunResult> results = new Runner(options).run();
    for (RunResult result : results) {
      var primary = result.getPrimaryResult();
      ctx.out.printf("  %s: %,.0f ± %,.0f %s%n", result.getParams().getBenchmark(), primary.getScore(), primary.getScoreError(), primary.getScoreUnit());
      String method = result.getParams().getBenchmark().substring(result.getParams().getBenchmark().lastIndexOf('.') + 1);
      ctx.table.add(name(), "SegmentEngine." + method + ", calls/s (1 thread)", primary.getScore(), Double.NaN, "ops/s", "-");
    }
  }
}
