package io.segmentd.bench;

import io.segmentd.load.BatchSender;
import io.segmentd.load.LoadRun;
import io.segmentd.load.TrafficModel;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Time to recover a customer with 10, 1,000 and 100,000 events: after a node restart, the first
 * {@code GET /v1/customers/{id}} starts the entity (snapshot, then the journal after it), and
 * {@code GET /v1/customers/{id}/segments} folds the journal; against the plain driver reading that
 * customer's journal rows (every partition, every event blob).
 */
final class RecoveryScenario implements Scenario {
  @Override
  public String name() {
    return "recovery";
  }

  @Override
  public String description() {
    return "first reply after a restart for customers with 10, 1,000 and 100,000 events, vs reading their journal rows raw";
  }

  @Override
  public void run(BenchContext ctx) throws Exception {
    List<Integer> sizes = List.of(10, 1_000, 100_000);
    try (NodeProcess node = ctx.node(name()); RawJournal raw = ctx.raw(name())) {
      node.start();
      BatchSender api = ctx.api(node);
      TrafficModel traffic = ctx.traffic("recovery", 1, 0);
      Instant now = Instant.now();
      for (int size : sizes) {
        String customer = ctx.runId + "-recovery-" + size;
        int batch = Math.min(100, size);
        var fed = ctx.load(LoadRun.Plan.closedCount("segmentd feeding " + customer, 4, batch, size), api,
            () -> traffic.history(customer, batch, now.minus(Duration.ofDays(90)), now), node.threads());
        if (fed.events() < size) ctx.out.printf("  only %,d of %,d events acknowledged: %s%n", fed.events(), size, fed.failures());
      }
      String warmCustomer = ctx.runId + "-recovery-warm";
      ctx.load(LoadRun.Plan.closedCount("segmentd feeding " + warmCustomer, 1, 10, 10), api,
          () -> traffic.history(warmCustomer, 10, now.minus(Duration.ofDays(90)), now), node.threads());
      Duration restart = node.restart();
      ctx.out.printf("  node restarted, ready after %.1f s%n", restart.toMillis() / 1e3);
      // the first request of a fresh node also pays for its HTTP path, shard allocation and JIT: a
      // small customer first, so the measured ones show the entity's recovery
      ctx.out.printf("  first request of the fresh node (a 10-event customer): %.1f ms%n", timeGet(ctx, node, "/v1/customers/" + warmCustomer));
      raw.readJournal(ctx.keyspace(name()), "Customer|" + warmCustomer); // prepares the statement
      for (int size : sizes) {
        String customer = ctx.runId + "-recovery-" + size;
        int threadsBefore = node.threadCount();
        double entity = timeGet(ctx, node, "/v1/customers/" + customer);
        double warm = timeGet(ctx, node, "/v1/customers/" + customer);
        double fold = timeGet(ctx, node, "/v1/customers/" + customer + "/segments");
        long began = System.nanoTime();
        long rows = raw.readJournal(ctx.keyspace(name()), "Customer|" + customer);
        double rawMs = (System.nanoTime() - began) / 1e6;
        ctx.out.printf("  %,d events (%,d journal rows): first GET %.1f ms, again %.1f ms, /segments %.1f ms; raw read %.1f ms%n",
            size, rows, entity, warm, fold, rawMs);
        String label = String.format("%,d events (%,d journal rows)", size, rows);
        ctx.table.add(name(), label + ": first GET /v1/customers/{id} after restart", entity, rawMs, "ms", threadsBefore + " → " + node.threadCount());
        ctx.table.add(name(), label + ": GET /v1/customers/{id}/segments (journal fold)", fold, rawMs, "ms", "");
      }
    }
  }

  /** Milliseconds to a complete 200 answer. */
  private static double timeGet(BenchContext ctx, NodeProcess node, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer dev-read-token").build();
    long began = System.nanoTime();
    HttpResponse<byte[]> response = ctx.http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    double ms = (System.nanoTime() - began) / 1e6;
    if (response.statusCode() != 200) throw new IllegalStateException(path + " answered " + response.statusCode());
    return ms;
  }
}
