package io.segmentd.load;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code scripts/load}: realistic traffic through segmentd's ingest API ({@code POST /v1/batch}),
 * open loop at a target events/s or closed loop at the maximum, with a report per second and an
 * overall one. See {@code --help}.
 */
public final class LoadGenerator {
  private LoadGenerator() {}

  public static void main(String[] args) throws Exception {
    LoadOptions options;
    try {
      options = LoadOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("load: " + e.getMessage());
      System.err.println(LoadOptions.HELP);
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(LoadOptions.HELP);
      return;
    }
    LoadResult result = run(options, System.out);
    System.out.println(result.summary());
    System.exit(result.events() > 0 ? 0 : 1); // the HTTP client's selector thread would keep the JVM alive
  }

  public static LoadResult run(LoadOptions options, PrintStream report) throws InterruptedException {
    // two threads serve every completion: a client needs little CPU, and the node shares the cores
    ExecutorService callbacks = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "load-callbacks");
      t.setDaemon(true);
      return t;
    });
    try {
      var http = HttpBatchSender.client(callbacks);
      BatchSender sender = new HttpBatchSender(http, options.url(), options.writeKey(), options.timeout(), callbacks);
      TrafficModel traffic = new TrafficModel(options.traffic(), options.seed());
      ThreadCount threads = options.nodePid() > 0 ? ThreadCount.ofPid(options.nodePid())
          : options.metricsUrl() != null ? ThreadCount.ofMetrics(options.metricsUrl(), http) : ThreadCount.NONE;
      LoadRun.Plan plan = options.rate() > 0
          ? LoadRun.Plan.open(String.format(Locale.ROOT, "open %.0f ev/s", options.rate()), options.rate(), options.batch(), options.warmUp(), options.duration())
          : LoadRun.Plan.closed("closed x" + options.concurrency(), options.concurrency(), options.batch(), options.warmUp(), options.duration());
      report.printf("load: %s against %s, batches of %d, %d customers (Zipf %.2f), prefix %s%n", plan.label(), options.url(),
          options.batch(), options.traffic().customers(), options.traffic().zipfExponent(), options.traffic().prefix());
      return new LoadRun(plan, sender, () -> traffic.next(options.batch(), Instant.now()), callbacks, threads, report).run();
    } finally {
      callbacks.shutdown();
    }
  }

  /** A run's prefix for customer and message ids: unique per run, short. */
  public static String runId() {
    return "r" + Long.toString(System.currentTimeMillis(), 36);
  }

  static Duration duration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
    char unit = t.charAt(t.length() - 1);
    if (Character.isDigit(unit)) return Duration.ofSeconds(Long.parseLong(t));
    long n = Long.parseLong(t.substring(0, t.length() - 1));
    return switch (unit) {
      case 's' -> Duration.ofSeconds(n);
      case 'm' -> Duration.ofMinutes(n);
      case 'h' -> Duration.ofHours(n);
      case 'd' -> Duration.ofDays(n);
      default -> throw new IllegalArgumentException("not a duration: " + text + " (e.g. 30s, 5m, 2h, 3d)");
    };
  }
}
