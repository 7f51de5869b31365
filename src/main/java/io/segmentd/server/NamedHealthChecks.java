package io.segmentd.server;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * The health checks configured for pekko-management ({@code pekko.management.health-checks.*-checks}:
 * Cassandra, cluster membership, the read side, the API bound), run one by one so that an answer
 * names each and says why one fails. Loaded as pekko-management loads them: a Java
 * {@code Supplier<CompletionStage<Boolean>>} or a Scala {@code () => Future[Boolean]}, built with
 * the actor system or without arguments.
 */
public final class NamedHealthChecks {
  public record Result(String name, boolean ok, String detail) {}

  public record Report(boolean ok, List<Result> checks) {}

  private record Check(String name, Supplier<CompletionStage<Boolean>> run) {}

  private final List<Check> checks;
  private final Duration timeout;
  private final java.util.concurrent.Executor executor;

  private NamedHealthChecks(List<Check> checks, Duration timeout, java.util.concurrent.Executor executor) {
    this.checks = checks;
    this.timeout = timeout;
    this.executor = executor;
  }

  /** {@code kind}: readiness or liveness. */
  public static NamedHealthChecks load(ExtendedActorSystem system, String kind) {
    Config health = system.settings().config().getConfig("pekko.management.health-checks");
    List<Check> checks = new ArrayList<>();
    Map<String, String> classes = new TreeMap<>();
    health.getConfig(kind + "-checks").root().unwrapped().forEach((name, fqcn) -> classes.put(name, String.valueOf(fqcn)));
    classes.forEach((name, fqcn) -> {
      if (!fqcn.isBlank()) checks.add(new Check(name, instantiate(system, fqcn)));
    });
    return new NamedHealthChecks(List.copyOf(checks), health.getDuration("check-timeout"), system.dispatcher());
  }

  @SuppressWarnings("unchecked")
  private static Supplier<CompletionStage<Boolean>> instantiate(ExtendedActorSystem system, String fqcn) {
    Object check;
    try {
      Class<?> type = Class.forName(fqcn, true, system.dynamicAccess().classLoader());
      try {
        check = type.getConstructor(ActorSystem.class).newInstance(system);
      } catch (NoSuchMethodException e) {
        check = type.getConstructor().newInstance();
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("health check " + fqcn + " could not be loaded: " + e, e);
    }
    if (check instanceof Supplier<?> java) return (Supplier<CompletionStage<Boolean>>) java;
    if (check instanceof scala.Function0<?> scala) return () -> FutureConverters.asJava((Future<Boolean>) scala.apply());
    throw new IllegalStateException("health check " + fqcn + " is neither a Supplier<CompletionStage<Boolean>> nor a () => Future[Boolean]");
  }

  /** Every check at once, each within the check timeout. */
  public CompletionStage<Report> run() {
    List<CompletableFuture<Result>> results = new ArrayList<>();
    for (Check check : checks) {
      CompletableFuture<Result> result;
      try {
        result = check.run().get().toCompletableFuture()
            .thenApplyAsync(ok -> new Result(check.name(), ok, ok ? "ok" : "not ok"), executor);
      } catch (RuntimeException e) {
        result = CompletableFuture.failedFuture(e);
      }
      results.add(result.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .exceptionally(e -> new Result(check.name(), false, reason(e))));
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).thenApplyAsync(v -> {
      List<Result> done = results.stream().map(CompletableFuture::join).toList();
      return new Report(done.stream().allMatch(Result::ok), done);
    }, executor);
  }

  private static String reason(Throwable e) {
    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof java.util.concurrent.TimeoutException) return "no answer within pekko.management.health-checks.check-timeout";
    return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
  }
}
