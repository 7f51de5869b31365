package io.segmentd.bench;

import io.segmentd.load.BatchSender;
import io.segmentd.load.LoadResult;
import io.segmentd.load.LoadRun;
import io.segmentd.load.ThreadCount;
import io.segmentd.load.TrafficModel;
import java.time.Instant;

/**
 * Sustained acknowledged events/s at the maximum (closed loop, 16 requests of 100 events in
 * flight), then latency at half of that rate (open loop); the plain driver writes the same rows,
 * first at its maximum while the node is idle, then at the same half rate.
 */
final class IngestScenario implements Scenario {
  static final int CONCURRENCY = 16;
  static final int BATCH = 100;
  static final int CUSTOMERS = 2_000;

  @Override
  public String name() {
    return "ingest";
  }

  @Override
  public String description() {
    return "max events/s (closed loop) and p50/p99/p99.9 at half of it (open loop), vs a plain driver writing the same journal rows";
  }

  @Override
  public void run(BenchContext ctx) throws Exception {
    try (NodeProcess node = ctx.node(name()); RawJournal raw = ctx.raw(name())) {
      node.start();
      // the raw maximum first, while the node is idle: afterwards its projection would still be
      // catching up on the same cores
      TrafficModel rawTraffic = ctx.traffic("ingest-raw", CUSTOMERS, 0.01);
      BatchSender rawSender = raw.sender(ctx.callbacks);
      LoadResult rawMax = ctx.load(LoadRun.Plan.closed("raw closed x16", CONCURRENCY, BATCH, ctx.warmUp(), ctx.measured()),
          rawSender, () -> rawTraffic.next(BATCH, Instant.now()), ThreadCount.NONE);

      TrafficModel traffic = ctx.traffic("ingest", CUSTOMERS, 0.01);
      BatchSender api = ctx.api(node);
      LoadResult max = ctx.load(LoadRun.Plan.closed("segmentd closed x16", CONCURRENCY, BATCH, ctx.warmUp(), ctx.measured()),
          api, () -> traffic.next(BATCH, Instant.now()), node.threads());
      double half = Math.max(BATCH, max.eventsPerSecond() / 2);
      LoadResult open = ctx.load(LoadRun.Plan.open(String.format("segmentd open %.0f ev/s", half), half, BATCH, ctx.warmUp(), ctx.measured()),
          api, () -> traffic.next(BATCH, Instant.now()), node.threads());
      LoadResult rawOpen = ctx.load(LoadRun.Plan.open(String.format("raw open %.0f ev/s", half), half, BATCH, ctx.warmUp(), ctx.measured()),
          rawSender, () -> rawTraffic.next(BATCH, Instant.now()), ThreadCount.NONE);

      ctx.ingestMax = max.eventsPerSecond();
      ctx.ingestClosed = max;
      ctx.ingestOpen = open;
      ctx.rawClosed = rawMax;
      ResultTable t = ctx.table;
      t.add(name(), "max acknowledged events/s (closed loop, 16 x 100 events)", max.eventsPerSecond(), rawMax.eventsPerSecond(), "ev/s", max.threadsText());
      t.add(name(), "p50 per request at max", max.percentileMs(50), rawMax.percentileMs(50), "ms", "");
      t.add(name(), "p99 per request at max", max.percentileMs(99), rawMax.percentileMs(99), "ms", "");
      String at = String.format("at half of max (%,.0f ev/s, open loop)", half);
      t.add(name(), "events/s " + at, open.eventsPerSecond(), rawOpen.eventsPerSecond(), "ev/s", open.threadsText());
      t.add(name(), "p50 per request " + at, open.percentileMs(50), rawOpen.percentileMs(50), "ms", "");
      t.add(name(), "p99 per request " + at, open.percentileMs(99), rawOpen.percentileMs(99), "ms", "");
      t.add(name(), "p99.9 per request " + at, open.percentileMs(99.9), rawOpen.percentileMs(99.9), "ms", "");
      t.addText(name(), "non-200 answers (max; half)", max.failures() + "; " + open.failures(), rawMax.failures() + "; " + rawOpen.failures(), "");
      if (ctx.chart != null) {
        IngestChart.write(ctx.chart, max, open, rawMax, rawOpen);
        ctx.out.println("  chart: " + ctx.chart);
      }
    }
  }
}
