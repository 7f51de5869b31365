package io.segmentd.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.segmentd.customer.Customer;
import io.segmentd.http.Overloaded;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.testing.Events;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Admission: at most max-in-flight commands outstanding, a bounded FIFO queue behind them. */
class EventRecorderTest {
  /** Every command sent, in order, with the future the test completes. */
  private final Map<String, CompletableFuture<Customer.Recorded>> sent = new LinkedHashMap<>();

  private EventRecorder recorder(int maxInFlight, int maxQueued, Duration maxQueueWait) {
    return new EventRecorder((customerId, aliases, batch) -> {
      CompletableFuture<Customer.Recorded> reply = new CompletableFuture<>();
      sent.put(customerId, reply);
      return reply;
    }, 1000, new EventRecorder.Admission(maxInFlight, maxQueued, maxQueueWait), Runnable::run);
  }

  private static List<CustomerEvent> request(String... customers) {
    List<CustomerEvent> events = new ArrayList<>();
    for (String c : customers) {
      BehaviorEvent event = Events.page("m-" + c, "2024-03-01T09:00:00Z");
      events.add(new CustomerEvent(c, event));
    }
    return events;
  }

  private void confirm(String customerId) {
    sent.get(customerId).complete(new Customer.Recorded(1, 0));
  }

  @Test
  void sendsAtMostMaxInFlightAndTheRestInOrderAsConfirmationsCome() throws Exception {
    EventRecorder recorder = recorder(2, 10, Duration.ofMinutes(1));
    CompletionStage<EventRecorder.Outcome> first = recorder.record(request("a", "b", "c", "d"));
    assertEquals(List.of("a", "b"), List.copyOf(sent.keySet()));
    assertEquals(2, recorder.inFlight());
    assertEquals(2, recorder.queued());
    confirm("b");
    assertEquals(List.of("a", "b", "c"), List.copyOf(sent.keySet()));
    confirm("a");
    confirm("c");
    assertFalse(first.toCompletableFuture().isDone());
    confirm("d");
    assertEquals(new EventRecorder.Outcome(4, 4, 0, 0), first.toCompletableFuture().get());
    assertEquals(0, recorder.inFlight());
    assertEquals(0, recorder.queued());
  }

  @Test
  void aFullQueueFailsTheRequestAtOnceWithoutSendingThatCommand() {
    EventRecorder recorder = recorder(1, 2, Duration.ofMinutes(1));
    recorder.record(request("a", "b", "c"));
    CompletionStage<EventRecorder.Outcome> refused = recorder.record(request("d"));
    ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> refused.toCompletableFuture().get());
    assertInstanceOf(Overloaded.class, failure.getCause());
    assertEquals(List.of("a"), List.copyOf(sent.keySet()));
    assertEquals(2, recorder.queued());
  }

  @Test
  void aCommandQueuedLongerThanMaxQueueWaitIsNeverSent() throws Exception {
    EventRecorder recorder = recorder(1, 10, Duration.ofMillis(100));
    recorder.record(request("a"));
    CompletionStage<EventRecorder.Outcome> late = recorder.record(request("b"));
    Thread.sleep(200);
    confirm("a");
    ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> late.toCompletableFuture().get());
    assertInstanceOf(Overloaded.class, failure.getCause());
    assertEquals(List.of("a"), List.copyOf(sent.keySet()));
    assertEquals(0, recorder.inFlight());
    assertTrue(recorder.record(request("c")).toCompletableFuture().isDone() == false);
    assertEquals(List.of("a", "c"), List.copyOf(sent.keySet()));
  }
}
