package io.segmentd.bench;

import io.segmentd.load.BatchSender;
import io.segmentd.load.LoadResult;
import io.segmentd.load.LoadRun;
import io.segmentd.load.ThreadCount;
import io.segmentd.load.TrafficModel;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One customer fed continuously (closed loop, 4 requests of 100 events in flight, events of the
 * last 30 days): at each milestone of its history (1 k, 100 k, 1 M events) a window of events is
 * measured. The plain driver writes the same rows into one partition to the same milestones.
 */
final class HeavyCustomerScenario implements Scenario {
  private static final int CONCURRENCY = 4;
  private static final int BATCH = 100;

  @Override
  public String name() {
    return "heavy-customer";
  }

  @Override
  public String description() {
    return "one customer fed continuously: events/s and p99 at about 1 k, 100 k (and 1 M) events of history";
  }

  @Override
  public void run(BenchContext ctx) throws Exception {
    List<Long> milestones = ctx.quick ? List.of(1_000L, 100_000L) : List.of(1_000L, 100_000L, 1_000_000L);
    long window = ctx.quick ? 5_000 : 20_000;
    try (NodeProcess node = ctx.node(name()); RawJournal raw = ctx.raw(name())) {
      node.start();
      String customer = ctx.runId + "-heavy";
      TrafficModel traffic = ctx.traffic("heavy", 1, 0);
      Instant started = Instant.now();
      BatchSender api = ctx.api(node);
      BatchSender rawSender = raw.sender(ctx.callbacks);
      long history = 0;
      long rawHistory = 0;
      for (long milestone : milestones) {
        if (milestone > history) {
          ctx.load(LoadRun.Plan.closedCount("segmentd feeding to " + milestone, CONCURRENCY, BATCH, milestone - history), api,
              () -> traffic.history(customer, BATCH, started.minus(Duration.ofDays(30)), Instant.now()), node.threads());
          history = milestone;
        }
        LoadResult measured = ctx.load(LoadRun.Plan.closedCount("segmentd at " + milestone, CONCURRENCY, BATCH, window), api,
            () -> traffic.history(customer, BATCH, started.minus(Duration.ofDays(30)), Instant.now()), node.threads());
        history += window;
        if (milestone > rawHistory) {
          ctx.load(LoadRun.Plan.closedCount("raw feeding to " + milestone, CONCURRENCY, BATCH, milestone - rawHistory), rawSender,
              () -> traffic.history(customer, BATCH, started.minus(Duration.ofDays(30)), Instant.now()), ThreadCount.NONE);
          rawHistory = milestone;
        }
        // the driver is some 50 times faster: a longer window, so it is not a few milliseconds
        LoadResult rawMeasured = ctx.load(LoadRun.Plan.closedCount("raw at " + milestone, CONCURRENCY, BATCH, window * 10), rawSender,
            () -> traffic.history(customer, BATCH, started.minus(Duration.ofDays(30)), Instant.now()), ThreadCount.NONE);
        rawHistory += window * 10;
        String at = String.format("at %,d events of history", milestone);
        ctx.table.add(name(), "events/s " + at, measured.eventsPerSecond(), rawMeasured.eventsPerSecond(), "ev/s", measured.threadsText());
        ctx.table.add(name(), "p99 per request " + at, measured.percentileMs(99), rawMeasured.percentileMs(99), "ms", "");
        if (!measured.failures().isEmpty()) ctx.table.addText(name(), "non-200 " + at, measured.failures().toString(), rawMeasured.failures().toString(), "");
      }
    }
  }
}
