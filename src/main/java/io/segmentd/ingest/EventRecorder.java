package io.segmentd.ingest;

import io.segmentd.http.InvalidRequest;

import io.segmentd.customer.Customer;
import io.segmentd.segmentation.BehaviorEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Sends each customer's share of a request to its entity and completes only when every entity
 * has confirmed its journal write; a failure of any of them fails the whole stage.
 */
public final class EventRecorder {
  private final ClusterSharding sharding;
  private final Duration timeout;
  private final int maxEventsPerCustomer;

  /**
   * @param maxEventsPerCustomer the message ids a customer remembers: a request may not carry more
   *     events for one customer, or a retry of it could count the first ones again
   */
  public EventRecorder(ClusterSharding sharding, Duration timeout, int maxEventsPerCustomer) {
    this.sharding = sharding;
    this.timeout = timeout;
    this.maxEventsPerCustomer = maxEventsPerCustomer;
  }

  public record Outcome(int customers, int accepted, int duplicates) {}

  public CompletionStage<Outcome> record(List<CustomerEvent> events) {
    Map<String, List<BehaviorEvent>> byCustomer = new LinkedHashMap<>();
    for (CustomerEvent e : events) {
      byCustomer.computeIfAbsent(e.customerId(), id -> new ArrayList<>()).add(e.event());
    }
    byCustomer.forEach((customerId, batch) -> {
      if (batch.size() > maxEventsPerCustomer) {
        throw new InvalidRequest("too_many_events", "the request holds " + batch.size() + " events for customer '" + customerId
            + "'; at most " + maxEventsPerCustomer + " per customer and request (segmentd.customer.max-remembered-ids)");
      }
    });
    List<CompletableFuture<Customer.Recorded>> confirmations = new ArrayList<>(byCustomer.size());
    byCustomer.forEach((customerId, batch) -> confirmations.add(
        sharding.entityRefFor(Customer.ENTITY_KEY, customerId)
            .<Customer.Recorded>askWithStatus(replyTo -> new Customer.RecordEvents(List.copyOf(batch), replyTo), timeout)
            .toCompletableFuture()));
    return CompletableFuture.allOf(confirmations.toArray(CompletableFuture[]::new)).thenApply(done -> {
      int accepted = 0;
      int duplicates = 0;
      for (CompletableFuture<Customer.Recorded> c : confirmations) {
        accepted += c.join().accepted();
        duplicates += c.join().duplicates();
      }
      return new Outcome(byCustomer.size(), accepted, duplicates);
    });
  }
}
