package io.segmentd.common;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Continuations without a thread per completion.
 *
 * <p>The stages Pekko's Java APIs return (asks, {@code CassandraSession}, {@code Source.run*}) are
 * Scala futures wrapped by {@code scala.jdk.FutureConverters}; that wrapper turns every non-async
 * continuation ({@code thenApply}, {@code whenComplete}, ..., and {@code pipeToSelf}, which calls
 * {@code whenComplete}) into its {@code *Async} form on the JDK's default executor. On a machine with
 * two cores the common pool has parallelism 1, so that executor is {@code ThreadPerTaskExecutor}: a
 * new thread for every completion. {@link #on} moves such a stage onto a given executor (the actor
 * system's dispatcher) once; what is chained on the returned plain {@code CompletableFuture} runs
 * where it completes, without further hops.
 */
public final class Stages {
  private Stages() {}

  /**
   * A plain {@code CompletableFuture} completed on {@code executor} with the outcome of {@code stage}
   * (a failure as the stage's own exception, not wrapped in a {@code CompletionException}).
   */
  public static <T> CompletableFuture<T> on(CompletionStage<T> stage, Executor executor) {
    CompletableFuture<T> plain = new CompletableFuture<>();
    stage.whenCompleteAsync((value, failure) -> {
      if (failure == null) plain.complete(value);
      else plain.completeExceptionally(failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure);
    }, executor);
    return plain;
  }
}
