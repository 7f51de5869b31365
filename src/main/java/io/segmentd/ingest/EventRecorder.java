package io.segmentd.ingest;

import io.segmentd.http.InvalidRequest;
import io.segmentd.http.Overloaded;

import com.typesafe.config.Config;
import io.segmentd.common.Stages;
import io.segmentd.customer.Customer;
import io.segmentd.segmentation.BehaviorEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashSet;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Sends each customer's share of a request to its entity and completes only when every entity
 * has confirmed its journal write; a failure of any of them fails the whole stage.
 *
 * <p>Admission: at most {@link Admission#maxInFlight()} customer commands are outstanding at once;
 * the others wait in a bounded FIFO queue, and the ask timeout starts only when a command is sent.
 * A burst of customers whose entities must first recover (bounded by
 * {@code pekko.persistence.max-concurrent-recoveries}) thus waits here instead of timing out in
 * entity stashes. A command that cannot be queued (queue full), or waited longer than
 * {@link Admission#maxQueueWait()}, is never sent and fails its request with 503; as after an ask
 * timeout, a retry with the same message ids is safe (the other customers' commands of the request
 * may have been recorded, and count once).
 */
public final class EventRecorder {
  private final Asker asker;
  private final int maxEventsPerCustomer;
  private final Admission admission;
  private final Executor executor;
  private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();

  /** {@code segmentd.ingest.admission}. */
  public record Admission(int maxInFlight, int maxQueued, Duration maxQueueWait) {
    public static Admission fromConfig(Config admission) {
      return new Admission(admission.getInt("max-in-flight"), admission.getInt("max-queued"), admission.getDuration("max-queue-wait"));
    }

    /** No limit worth the name: every command is sent at once (tests that build a recorder by hand). */
    public static final Admission UNBOUNDED = new Admission(Integer.MAX_VALUE, Integer.MAX_VALUE, Duration.ofDays(1));
  }

  /**
   * Sends one customer's commands and completes with the confirmation of its events: first the
   * merges of {@code aliases} into it (each confirmed in its journal), then its events.
   */
  interface Asker {
    CompletionStage<Customer.Recorded> ask(String customerId, Set<String> aliases, List<BehaviorEvent> batch);
  }

  /** One customer's share, waiting to be sent. */
  private record Pending(String customerId, Set<String> aliases, List<BehaviorEvent> batch, CompletableFuture<Customer.Recorded> result,
                         long queuedAt) {}

  /**
   * @param maxEventsPerCustomer the message ids a customer remembers: a request may not carry more
   *     events for one customer, or a retry of it could count the first ones again
   */
  public EventRecorder(ClusterSharding sharding, Duration timeout, int maxEventsPerCustomer) {
    this(sharding, timeout, maxEventsPerCustomer, Admission.UNBOUNDED, Runnable::run);
  }

  /** @param executor where confirmations continue (the actor system's dispatcher; see {@link Stages}) */
  public EventRecorder(ClusterSharding sharding, Duration timeout, int maxEventsPerCustomer, Admission admission, Executor executor) {
    this((customerId, aliases, batch) -> {
      var customer = sharding.entityRefFor(Customer.ENTITY_KEY, customerId);
      CompletableFuture<?> merged = CompletableFuture.completedFuture(null);
      for (String alias : aliases) {
        // One at a time: each merge is a write of the same journal.
        merged = merged.thenCompose(done -> Stages.on(customer.<Customer.Identity>askWithStatus(
            replyTo -> new Customer.Absorb(alias, replyTo), timeout), executor));
      }
      return merged.thenCompose(done -> Stages.on(customer.<Customer.Recorded>askWithStatus(
          replyTo -> new Customer.RecordEvents(batch, replyTo), timeout), executor));
    }, maxEventsPerCustomer, admission, executor);
  }

  EventRecorder(Asker asker, int maxEventsPerCustomer, Admission admission, Executor executor) {
    this.asker = asker;
    this.maxEventsPerCustomer = maxEventsPerCustomer;
    this.admission = admission;
    this.executor = executor;
  }

  /** {@code erased}: events for customers erased with later events refused, not recorded. */
  public record Outcome(int customers, int accepted, int duplicates, int erased) {}

  public CompletionStage<Outcome> record(List<CustomerEvent> events) {
    Map<String, List<BehaviorEvent>> byCustomer = new LinkedHashMap<>();
    Map<String, Set<String>> merges = new LinkedHashMap<>();
    for (CustomerEvent e : events) {
      byCustomer.computeIfAbsent(e.customerId(), id -> new ArrayList<>()).add(e.event());
      if (e.mergeFrom() != null) merges.computeIfAbsent(e.customerId(), id -> new LinkedHashSet<>()).add(e.mergeFrom());
    }
    byCustomer.forEach((customerId, batch) -> {
      if (batch.size() > maxEventsPerCustomer) {
        throw new InvalidRequest("too_many_events", "the request holds " + batch.size() + " events for customer '" + customerId
            + "'; at most " + maxEventsPerCustomer + " per customer and request (segmentd.customer.max-remembered-ids)");
      }
    });
    List<CompletableFuture<Customer.Recorded>> confirmations = new ArrayList<>(byCustomer.size());
    byCustomer.forEach((customerId, batch) ->
        confirmations.add(submit(customerId, merges.getOrDefault(customerId, Set.of()), List.copyOf(batch))));
    // allOf and the continuation on its plain future run where the last confirmation completes (the dispatcher).
    return CompletableFuture.allOf(confirmations.toArray(CompletableFuture[]::new)).thenApply(done -> {
      int accepted = 0;
      int duplicates = 0;
      int erased = 0;
      for (CompletableFuture<Customer.Recorded> c : confirmations) {
        accepted += c.join().accepted();
        duplicates += c.join().duplicates();
        erased += c.join().refused();
      }
      return new Outcome(byCustomer.size(), accepted, duplicates, erased);
    });
  }

  /** Commands sent and not yet answered; and waiting to be sent (for metrics and tests). */
  public int inFlight() {
    return inFlight.get();
  }

  public int queued() {
    return queued.get();
  }

  /** The queue is full: a request now would be refused after its body was read and parsed. */
  public boolean saturated() {
    return queued.get() >= admission.maxQueued();
  }

  private CompletableFuture<Customer.Recorded> submit(String customerId, Set<String> aliases, List<BehaviorEvent> batch) {
    CompletableFuture<Customer.Recorded> result = new CompletableFuture<>();
    if (queued.incrementAndGet() > admission.maxQueued()) {
      queued.decrementAndGet();
      result.completeExceptionally(new Overloaded("more than " + admission.maxQueued()
          + " customer commands wait to be sent (segmentd.ingest.admission.max-queued)"));
      return result;
    }
    queue.add(new Pending(customerId, aliases, batch, result, System.nanoTime()));
    drain();
    return result;
  }

  /** Sends queued commands while fewer than max-in-flight are outstanding. */
  private void drain() {
    while (true) {
      int n = inFlight.get();
      if (n >= admission.maxInFlight()) return;
      if (!inFlight.compareAndSet(n, n + 1)) continue;
      Pending next = queue.poll();
      if (next == null) {
        inFlight.decrementAndGet();
        // A command queued between the poll and the decrement saw no free slot: look again.
        if (queue.isEmpty()) return;
        continue;
      }
      queued.decrementAndGet();
      if (System.nanoTime() - next.queuedAt() > admission.maxQueueWait().toNanos()) {
        inFlight.decrementAndGet();
        next.result().completeExceptionally(new Overloaded("a customer command waited longer than " + admission.maxQueueWait()
            + " to be sent (segmentd.ingest.admission.max-queue-wait)"));
        continue;
      }
      send(next);
    }
  }

  private void send(Pending pending) {
    CompletionStage<Customer.Recorded> asked;
    try {
      asked = asker.ask(pending.customerId(), pending.aliases(), pending.batch());
    } catch (RuntimeException e) {
      asked = CompletableFuture.failedFuture(e);
    }
    // Not whenComplete: on Pekko's stage that would start a thread per completion (see Stages).
    asked.whenCompleteAsync((recorded, failure) -> {
      inFlight.decrementAndGet();
      if (failure == null) pending.result().complete(recorded);
      else pending.result().completeExceptionally(failure);
      drain();
    }, executor);
  }
}
