package io.segmentd.bench;

import io.segmentd.load.LoadGenerator;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code scripts/bench}: runs the selected scenarios against nodes it starts itself (a fresh
 * keyspace per scenario) on the given Cassandra, and prints one table: segmentd's figure, the plain
 * driver's figure for the same work on the same Cassandra in the same run, and their ratio.
 *
 * <pre>java -cp segmentd.jar io.segmentd.bench.BenchSuite [--quick] [--cassandra host:port] [--port 18080]
 *     [--chart docs/bench-ingest.png] [--out target/bench] [scenario ...]</pre>
 */
public final class BenchSuite {
  private BenchSuite() {}

  static Map<String, Scenario> scenarios() {
    Map<String, Scenario> all = new LinkedHashMap<>();
    for (Scenario s : List.of(new IngestScenario(), new ColdStartScenario(), new HeavyCustomerScenario(), new RecoveryScenario(),
        new MemoryScenario(), new CoreScenario(), new WakeUpScenario(), new ReplayScenario())) {
      all.put(s.name(), s);
    }
    return all;
  }

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    String cassandra = "127.0.0.1:9042";
    int port = 18080;
    Path chart = null;
    Path out = Path.of("target/bench");
    Path jar = Path.of("target/segmentd.jar");
    List<String> selected = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--cassandra" -> cassandra = args[++i];
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--chart" -> chart = Path.of(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--jar" -> jar = Path.of(args[++i]);
        case "--help", "-h" -> {
          usage(System.out);
          return;
        }
        default -> {
          if (!scenarios().containsKey(args[i])) {
            System.err.println("bench: unknown scenario or option " + args[i]);
            usage(System.err);
            System.exit(2);
          }
          selected.add(args[i]);
        }
      }
    }
    if (selected.isEmpty()) selected.addAll(scenarios().keySet());
    // the suite's own async stages run here; never the common pool (parallelism 1 on 2 cores)
    ExecutorService callbacks = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "bench-callbacks");
      t.setDaemon(true);
      return t;
    });
    String runId = LoadGenerator.runId();
    BenchContext ctx = new BenchContext(quick, cassandra, jar.toAbsolutePath(), runId, callbacks, System.out, out.resolve(runId), port, chart);
    System.out.printf("bench: run %s, %s mode, scenarios %s, Cassandra %s, node ports %d/%d; details in %s%n", runId,
        quick ? "quick" : "full", selected, cassandra, port, port + 478, ctx.workDir);
    List<String> failed = new ArrayList<>();
    for (String name : selected) {
      Scenario scenario = scenarios().get(name);
      System.out.printf("%n== %s: %s (%s)%n", name, scenario.description(), Instant.now());
      long began = System.nanoTime();
      try {
        scenario.run(ctx);
      } catch (Exception | AssertionError e) {
        // one scenario failing must not lose the others' figures
        failed.add(name);
        System.out.println("  FAILED: " + e);
        e.printStackTrace(ctx.detail);
      }
      System.out.printf("  (%s took %.0f s)%n", name, (System.nanoTime() - began) / 1e9);
    }
    System.out.printf("%nResults (run %s, %s mode):%n%n", runId, quick ? "quick" : "full");
    ctx.table.print(System.out);
    try (PrintStream file = new PrintStream(Files.newOutputStream(ctx.workDir.resolve("results.md")))) {
      ctx.table.print(file);
    }
    if (!failed.isEmpty()) System.out.println("\nfailed scenarios: " + failed);
    System.exit(failed.isEmpty() ? 0 : 1);
  }

  private static void usage(PrintStream out) {
    out.println("usage: scripts/bench [--quick] [scenario ...]   (all when none is named)");
    scenarios().values().forEach(s -> out.printf("  %-15s %s%n", s.name(), s.description()));
  }
}
