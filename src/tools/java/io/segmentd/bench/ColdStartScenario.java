package io.segmentd.bench;

import io.segmentd.load.BatchSender;
import io.segmentd.load.LoadResult;
import io.segmentd.load.LoadRun;
import io.segmentd.load.ThreadCount;
import io.segmentd.load.TrafficModel;
import java.time.Duration;
import java.time.Instant;

/**
 * The ingest load at half of max on customers never seen before (every entity starts: snapshot
 * and journal reads find nothing), then again on the same customers right after the node is
 * restarted (every entity recovers its journal). No warm-up: the cold phase is the measure.
 */
final class ColdStartScenario implements Scenario {
  @Override
  public String name() {
    return "cold-start";
  }

  @Override
  public String description() {
    return "half of max on customers never seen before, and again right after a node restart: events/s, p99, 503s";
  }

  @Override
  public void run(BenchContext ctx) throws Exception {
    int batch = IngestScenario.BATCH;
    try (NodeProcess node = ctx.node(name()); RawJournal raw = ctx.raw(name())) {
      node.start();
      BatchSender api = ctx.api(node);
      double max = ctx.ingestMax;
      if (Double.isNaN(max)) {
        // run alone: find the maximum on other customers first (this also warms the JIT, as a node
        // that has served traffic before a burst of new customers would be)
        TrafficModel warm = ctx.traffic("cold-warm", IngestScenario.CUSTOMERS, 0.01);
        max = ctx.load(LoadRun.Plan.closed("segmentd closed x16 (finding max)", IngestScenario.CONCURRENCY, batch, ctx.warmUp(), Duration.ofSeconds(ctx.quick ? 10 : 30)),
            api, () -> warm.next(batch, Instant.now()), node.threads()).eventsPerSecond();
      }
      double half = Math.max(batch, max / 2);
      Duration measured = ctx.measured();
      TrafficModel fresh = ctx.traffic("cold", IngestScenario.CUSTOMERS, 0);
      LoadResult cold = ctx.load(LoadRun.Plan.open(String.format("segmentd open %.0f ev/s, new customers", half), half, batch, Duration.ZERO, measured),
          api, () -> fresh.next(batch, Instant.now()), node.threads());
      Duration restart = node.restart();
      ctx.out.printf("  node restarted, ready after %.1f s%n", restart.toMillis() / 1e3);
      TrafficModel again = ctx.traffic("cold", IngestScenario.CUSTOMERS, 0); // the same customers: their entities recover
      LoadResult recovered = ctx.load(LoadRun.Plan.open(String.format("segmentd open %.0f ev/s, after restart", half), half, batch, Duration.ZERO, measured),
          api, () -> again.next(batch, Instant.now()), node.threads());
      TrafficModel rawTraffic = ctx.traffic("cold-raw", IngestScenario.CUSTOMERS, 0);
      LoadResult rawOpen = ctx.load(LoadRun.Plan.open(String.format("raw open %.0f ev/s, new customers", half), half, batch, Duration.ZERO, measured),
          raw.sender(ctx.callbacks), () -> rawTraffic.next(batch, Instant.now()), ThreadCount.NONE);

      ResultTable t = ctx.table;
      String rate = String.format(" (open loop %,.0f ev/s)", half);
      t.add(name(), "new customers: events/s" + rate, cold.eventsPerSecond(), rawOpen.eventsPerSecond(), "ev/s", cold.threadsText());
      t.add(name(), "new customers: p99 per request", cold.percentileMs(99), rawOpen.percentileMs(99), "ms", "");
      t.add(name(), "new customers: 503 answers", cold.failures(503), rawOpen.failures(503), "", "");
      t.add(name(), "after restart: events/s" + rate, recovered.eventsPerSecond(), rawOpen.eventsPerSecond(), "ev/s", recovered.threadsText());
      t.add(name(), "after restart: p99 per request", recovered.percentileMs(99), rawOpen.percentileMs(99), "ms", "");
      t.add(name(), "after restart: 503 answers", recovered.failures(503), rawOpen.failures(503), "", "");
      t.addText(name(), "all non-200 (new customers; after restart)", cold.failures() + "; " + recovered.failures(), rawOpen.failures().toString(), "");
    }
  }
}
