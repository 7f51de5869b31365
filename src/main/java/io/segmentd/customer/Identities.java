package io.segmentd.customer;

import io.segmentd.segmentation.BehaviorEvent;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What a customer needs of the others to merge one of them into itself: to have it sealed, to read
 * what its journal holds, and to send commands on to the customer an id now belongs to. Every
 * stage completes on the actor system's dispatcher (see {@link io.segmentd.common.Stages}).
 */
public interface Identities {

  /** Asks {@code alias} to hand its identity to {@code target}. */
  CompletionStage<Customer.Sealed> seal(String alias, String target);

  /**
   * The facts in {@code alias}'s journal and the aliases merged into it, read once it is sealed (so
   * nothing more is added to them); fails when it holds more than {@code maxEvents} facts.
   */
  CompletionStage<Handover> handover(String alias, int maxEvents);

  void tell(String customerId, Customer.Command command);

  /** A sealed customer's journal, as the customer absorbing it takes it over. */
  record Handover(List<BehaviorEvent> facts, Set<String> aliases) {}

  /** A history longer than a merge takes over: the merge is refused, not failed. */
  final class HistoryTooLong extends RuntimeException {
    public HistoryTooLong(String message) {
      super(message, null, false, false);
    }
  }

  /** Merges refused: for entities run without a cluster (tests of one entity). */
  Identities NONE = new Identities() {
    @Override
    public CompletionStage<Customer.Sealed> seal(String alias, String target) {
      return CompletableFuture.failedFuture(new IllegalStateException("identities are not merged here"));
    }

    @Override
    public CompletionStage<Handover> handover(String alias, int maxEvents) {
      return CompletableFuture.failedFuture(new IllegalStateException("identities are not merged here"));
    }

    @Override
    public void tell(String customerId, Customer.Command command) {
      throw new IllegalStateException("identities are not merged here");
    }
  };
}
