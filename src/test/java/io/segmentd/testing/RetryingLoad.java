package io.segmentd.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Continuous ingestion as a well-behaved SDK does it: batches of page views, product views and
 * orders for a fixed set of customers, each request retried with the same message ids (against
 * any live node) until it is acknowledged. Remembers every acknowledged message id per customer.
 */
public final class RetryingLoad implements AutoCloseable {
  private final Supplier<List<ApiClient>> nodes;
  private final int customers;
  private final String prefix;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong nextId = new AtomicLong();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final Map<String, Set<String>> acked = new ConcurrentHashMap<>();
  private final Map<Integer, AtomicLong> refusals = new ConcurrentHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();

  public RetryingLoad(Supplier<List<ApiClient>> nodes, String prefix, int customers, int threads) {
    this.nodes = nodes;
    this.customers = customers;
    this.prefix = prefix;
    for (int t = 0; t < threads; t++) {
      Thread thread = new Thread(this::run, "load-" + t);
      thread.setDaemon(true);
      this.threads.add(thread);
    }
    this.threads.forEach(Thread::start);
  }

  public String customer(int i) {
    return prefix + "-" + i;
  }

  public int customers() {
    return customers;
  }

  public long acknowledged() {
    return acknowledged.get();
  }

  public long retries() {
    return retries.get();
  }

  /** Answers other than 200 by status (connection failures as 0), each retried until acknowledged. */
  public Map<Integer, Long> refusals() {
    Map<Integer, Long> copy = new java.util.TreeMap<>();
    refusals.forEach((status, n) -> copy.put(status, n.get()));
    return copy;
  }

  /** Every message id acknowledged for the customer. */
  public Set<String> acknowledged(String customer) {
    return acked.getOrDefault(customer, Set.of());
  }

  private void run() {
    try {
      send();
    } catch (RuntimeException e) {
      failure.compareAndSet(null, e);
      throw e;
    }
  }

  /** A load thread that died: its batch in flight may be in the journal without being acknowledged. */
  public java.util.Optional<Throwable> failure() {
    return java.util.Optional.ofNullable(failure.get());
  }

  private void send() {
    while (running.get()) {
      List<String[]> events = new ArrayList<>();
      StringBuilder body = new StringBuilder("{\"batch\": [");
      ThreadLocalRandom random = ThreadLocalRandom.current();
      for (int e = 0; e < 10; e++) {
        String customer = customer(random.nextInt(customers));
        String id = prefix + "-m-" + nextId.incrementAndGet();
        Instant at = Instant.now().minusMillis(random.nextInt(60_000));
        if (e > 0) body.append(',');
        int kind = random.nextInt(10);
        if (kind < 5) {
          body.append("{\"type\":\"page\",\"userId\":\"").append(customer).append("\",\"name\":\"Home\",\"messageId\":\"").append(id)
              .append("\",\"timestamp\":\"").append(at).append("\"}");
        } else if (kind < 8) {
          body.append("{\"type\":\"track\",\"userId\":\"").append(customer).append("\",\"event\":\"Product Viewed\",\"messageId\":\"").append(id)
              .append("\",\"timestamp\":\"").append(at).append("\"}");
        } else {
          body.append("{\"type\":\"track\",\"userId\":\"").append(customer).append("\",\"event\":\"Order Completed\",\"messageId\":\"").append(id)
              .append("\",\"timestamp\":\"").append(at).append("\",\"properties\":{\"order_id\":\"o-").append(id)
              .append("\",\"revenue\":").append(1 + random.nextInt(200)).append(".50}}");
        }
        events.add(new String[] {customer, id});
      }
      body.append("]}");
      sendUntilAcknowledged(body.toString());
      for (String[] e : events) acked.computeIfAbsent(e[0], c -> ConcurrentHashMap.newKeySet()).add(e[1]);
      acknowledged.addAndGet(events.size());
    }
  }

  private void sendUntilAcknowledged(String body) {
    int attempt = 0;
    while (true) {
      List<ApiClient> live = nodes.get();
      if (!live.isEmpty()) {
        ApiClient node = live.get(ThreadLocalRandom.current().nextInt(live.size()));
        int status;
        try {
          status = node.tryPost("/v1/batch", body, Duration.ofSeconds(30)).status();
        } catch (java.io.IOException e) {
          status = 0;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        if (status == 200) return;
        refusals.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
        retries.incrementAndGet();
      }
      // back off as an SDK does before retrying the same message ids
      try {
        Thread.sleep(Math.min(2000, 100L << Math.min(attempt++, 4)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Stops sending new batches; requests in flight are retried until acknowledged. */
  @Override
  public void close() {
    running.set(false);
    for (Thread thread : threads) {
      try {
        thread.join(Duration.ofMinutes(3).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
