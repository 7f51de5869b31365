package io.segmentd.bench;

import io.segmentd.load.Batch;
import io.segmentd.load.BatchSender;
import io.segmentd.load.LoadResult;
import io.segmentd.load.LoadRun;
import io.segmentd.load.TrafficModel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Heap per active entity with a typical 90-day history: customers with 30 to 60 events each, spread
 * over 90 days, imported in two halves; used heap after full GCs (jcmd) is read after each half,
 * and the second half's growth divided by the entities it added gives the marginal bytes per
 * entity (the node's fixed costs cancel out); each reading waits until the node has settled. The raw figure is what the customer's events weigh
 * as the JSON sent: the payload the state summarizes.
 */
final class MemoryScenario implements Scenario {
  @Override
  public String name() {
    return "memory";
  }

  @Override
  public String description() {
    return "heap bytes per active entity with 30-60 events over 90 days (jcmd GC.run + GC.heap_info), entities per GB";
  }

  @Override
  public void run(BenchContext ctx) throws Exception {
    int customers = ctx.quick ? 3_000 : 20_000;
    try (NodeProcess node = ctx.node(name())) {
      node.start();
      BatchSender api = ctx.api(node);
      TrafficModel traffic = ctx.traffic("memory", 1, 0);
      Instant now = Instant.now();
      AtomicLong payloadBytes = new AtomicLong();
      AtomicLong events = new AtomicLong();
      long[] heap = new long[2];
      int[] active = new int[2];
      LoadResult last = null;
      for (int half = 0; half < 2; half++) {
        AtomicInteger next = new AtomicInteger(half * customers / 2);
        int endExclusive = (half + 1) * customers / 2;
        SplittableRandom sizes = new SplittableRandom(half);
        // whole customers per request, about 100 events: each customer's history arrives at once
        java.util.function.Supplier<Batch> batches = () -> {
          List<Batch.Event> batch = new ArrayList<>();
          while (batch.size() < 100) {
            int c = next.getAndIncrement();
            if (c >= endExclusive) break;
            int count;
            synchronized (sizes) {
              count = 30 + sizes.nextInt(31);
            }
            for (Batch.Event e : traffic.history(ctx.runId + "-mem-" + c, count, now.minus(Duration.ofDays(90)), now).events()) {
              batch.add(e);
              payloadBytes.addAndGet(e.json().length());
            }
          }
          events.addAndGet(batch.size());
          return new Batch(batch);
        };
        // until the half's customers are all sent (the source then answers an empty batch)
        last = ctx.load(LoadRun.Plan.closedCount("segmentd import, half " + (half + 1), IngestScenario.CONCURRENCY, 100, Long.MAX_VALUE),
            api, batches, node.threads());
        heap[half] = node.heapUsedWhenSettled(Duration.ofSeconds(60));
        active[half] = node.activeCustomers();
        ctx.out.printf("  after half %d: %,d customers in memory, heap used after GC %,d KB%n", half + 1, active[half], heap[half] / 1024);
      }
      int added = active[1] - active[0];
      double perEntity = added > 0 ? (heap[1] - heap[0]) / (double) added : Double.NaN;
      double payloadPerCustomer = payloadBytes.get() / (double) customers;
      ctx.out.printf("  %,d bytes of heap per entity (%,d entities added), %,d payload bytes per customer%n",
          (long) perEntity, added, (long) payloadPerCustomer);
      ctx.table.add(name(), String.format("heap bytes per active entity (%.0f events over 90 days; raw: their JSON payload)",
          events.get() / (double) customers), perEntity, payloadPerCustomer, "B", last.threadsText());
      ctx.table.add(name(), "active entities per GB of heap", (1L << 30) / perEntity, (1L << 30) / payloadPerCustomer, "", "");
    }
  }
}
