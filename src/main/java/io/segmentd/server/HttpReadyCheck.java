package io.segmentd.server;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * Readiness check (pekko-management): true once the API is bound, which happens only after the
 * schema is in place and sharding has started. The Cassandra check is configured beside it.
 */
public final class HttpReadyCheck implements Supplier<CompletionStage<Boolean>> {
  private final ActorSystem system;

  public HttpReadyCheck(ActorSystem system) {
    this.system = system;
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(Bound.ID.get(system).flag.get());
  }

  static void markBound(ActorSystem system, boolean value) {
    Bound.ID.get(system).flag.set(value);
  }

  /** Per actor system flag, as an extension so each system (and each test) has its own. */
  static final class Bound implements Extension {
    static final AbstractExtensionId<Bound> ID = new AbstractExtensionId<>() {
      @Override
      public Bound createExtension(ExtendedActorSystem system) {
        return new Bound();
      }
    };
    final AtomicBoolean flag = new AtomicBoolean(false);
  }
}
