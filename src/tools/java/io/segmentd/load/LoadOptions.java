package io.segmentd.load;

import java.time.Duration;

/** The options of {@code scripts/load} ({@link #HELP}). */
public record LoadOptions(boolean help, String url, String writeKey, double rate, int concurrency, int batch,
    Duration duration, Duration warmUp, Duration timeout, long seed, long nodePid, String metricsUrl,
    TrafficModel.Settings traffic) {

  public static final String HELP = """
      usage: scripts/load [options]
        realistic traffic through POST /v1/batch; prints acknowledged events/s and latency per
        request (p50/p99/p99.9/max) each second and overall, and non-200 answers by status
        --url URL              node (default http://127.0.0.1:8080)
        --write-key KEY        HTTP Basic user (default dev-write-key)
        --rate N               open loop: N events/s on a fixed schedule (latency from each
                               request's scheduled instant); 0 = closed loop (default 0)
        --concurrency N        closed loop: requests in flight, each on its own connection (default 16)
        --batch N              events per request (default 100)
        --duration D           measured time, e.g. 60s, 5m (default 60s)
        --warmup D             unmeasured time first (default 10s)
        --timeout D            per request (default 30s)
        --customers N          known customers, drawn from a Zipf law (default 2000)
        --zipf S               Zipf exponent: 0 = uniform, 1.1 = a few customers send most (default 1.1)
        --new-customers R      share of sessions by a customer never seen before (default 0.01)
        --late R               share of events 1 h to --late-max behind in event time (default 0.02)
        --late-max D           (default 72h)
        --duplicates R         share of events resent with the same messageId (default 0.01)
        --refunds R            share of orders refunded later (default 0.05)
        --email R              share of sessions starting with "Email Opened" (default 0.1)
        --prefix P             customer/message id prefix (default: unique per run; reuse it to
                               send to the same customers again)
        --seed N               random seed (default: time)
        --node-pid PID         print the node's live thread count each second (/proc/PID/status)
        --metrics-url URL      ...or read it from the node's Prometheus endpoint, e.g.
                               http://127.0.0.1:8080/metrics
        --help
      examples:
        scripts/load --duration 60s                           # closed loop, 16 in flight
        scripts/load --rate 1000 --duration 2m --node-pid $(pgrep -f 'segmentd.jar server')
      """;

  public static LoadOptions parse(String[] args) {
    boolean help = false;
    String url = "http://127.0.0.1:8080";
    String writeKey = "dev-write-key";
    double rate = 0;
    int concurrency = 16;
    int batch = 100;
    Duration duration = Duration.ofSeconds(60);
    Duration warmUp = Duration.ofSeconds(10);
    Duration timeout = Duration.ofSeconds(30);
    long seed = System.nanoTime();
    long pid = 0;
    String metrics = null;
    String prefix = LoadGenerator.runId();
    int customers = 2_000;
    double zipf = 1.1;
    double newCustomers = 0.01;
    double late = 0.02;
    Duration lateMax = Duration.ofHours(72);
    double duplicates = 0.01;
    double refunds = 0.05;
    double email = 0.1;
    for (int i = 0; i < args.length; i++) {
      String option = args[i];
      if (option.equals("--help") || option.equals("-h")) {
        help = true;
        continue;
      }
      if (i + 1 >= args.length) throw new IllegalArgumentException(option + " needs a value");
      String v = args[++i];
      try {
        switch (option) {
          case "--url" -> url = v;
          case "--write-key" -> writeKey = v;
          case "--rate" -> rate = Double.parseDouble(v);
          case "--concurrency" -> concurrency = positive(option, Integer.parseInt(v));
          case "--batch" -> batch = positive(option, Integer.parseInt(v));
          case "--duration" -> duration = LoadGenerator.duration(v);
          case "--warmup" -> warmUp = LoadGenerator.duration(v);
          case "--timeout" -> timeout = LoadGenerator.duration(v);
          case "--customers" -> customers = positive(option, Integer.parseInt(v));
          case "--zipf" -> zipf = Double.parseDouble(v);
          case "--new-customers" -> newCustomers = share(option, v);
          case "--late" -> late = share(option, v);
          case "--late-max" -> lateMax = LoadGenerator.duration(v);
          case "--duplicates" -> duplicates = share(option, v);
          case "--refunds" -> refunds = share(option, v);
          case "--email" -> email = share(option, v);
          case "--prefix" -> prefix = v;
          case "--seed" -> seed = Long.parseLong(v);
          case "--node-pid" -> pid = Long.parseLong(v);
          case "--metrics-url" -> metrics = v;
          default -> throw new IllegalArgumentException("unknown option " + option);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + ": not a number: " + v);
      }
    }
    if (lateMax.compareTo(Duration.ofHours(1)) <= 0) throw new IllegalArgumentException("--late-max must exceed 1h");
    return new LoadOptions(help, url, writeKey, rate, concurrency, batch, duration, warmUp, timeout, seed, pid, metrics,
        new TrafficModel.Settings(prefix, customers, zipf, newCustomers, late, lateMax, duplicates, refunds, email));
  }

  private static int positive(String option, int n) {
    if (n <= 0) throw new IllegalArgumentException(option + " must be positive");
    return n;
  }

  private static double share(String option, String v) {
    double r = Double.parseDouble(v);
    if (r < 0 || r > 1) throw new IllegalArgumentException(option + " is a share between 0 and 1");
    return r;
  }
}
