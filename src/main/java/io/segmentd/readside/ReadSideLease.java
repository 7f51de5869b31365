package io.segmentd.readside;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Who rewrites the read side: a replay {@code rebuild} holds this lease while it clears and writes
 * members and counts, and the projections apply nothing meanwhile (a group fails and is retried
 * from its offset). The lease expires unless renewed, so a rebuild that dies does not stop the
 * read side for good.
 */
public final class ReadSideLease {
  private final CompletionStage<CqlSession> cql;
  private final String table;
  private final Clock clock;
  private final Duration checkInterval;
  private volatile Held cached;

  /** {@code checkInterval}: how long a projection trusts its last look at the lease. */
  public ReadSideLease(CompletionStage<CqlSession> cql, String keyspace, Clock clock, Duration checkInterval) {
    this.cql = cql;
    this.table = keyspace + ".read_side_lease";
    this.clock = clock;
    this.checkInterval = checkInterval;
  }

  /** The holder and until when, as last read. */
  public record Held(Optional<String> holder, Optional<Instant> until, Instant readAt) {}

  /** Thrown by a projection group while a rebuild holds the read side: the projection retries it later. */
  public static final class Rebuilding extends IllegalStateException {
    public Rebuilding(String holder) {
      super("the read side is being rebuilt by " + holder + "; transitions are applied when it finishes");
    }
  }

  /** Fails with {@link Rebuilding} while the lease is held (looked up at most once per check interval). */
  public CompletionStage<Void> awaitFree() {
    Held last = cached;
    Instant now = clock.instant();
    CompletionStage<Held> held = last != null && last.readAt().plus(checkInterval).isAfter(now)
        ? CompletableFuture.completedFuture(last) : read();
    return held.thenApply(h -> {
      cached = h;
      if (h.holder().isPresent()) throw new Rebuilding(h.holder().get());
      return null;
    });
  }

  public CompletionStage<Held> read() {
    Instant now = clock.instant();
    return cql.thenCompose(session -> session.executeAsync(SimpleStatement.newInstance("SELECT holder, until FROM " + table + " WHERE id = 0")
            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL)))
        .thenApply(rs -> {
          Row row = rs.one();
          if (row == null || row.getString("holder") == null) return new Held(Optional.empty(), Optional.empty(), now);
          return new Held(Optional.of(row.getString("holder")), Optional.ofNullable(row.getInstant("until")), now);
        });
  }

  /**
   * Takes the lease for {@code holder} (or keeps it, when {@code holder} has it already: a rerun
   * that resumes). Fails naming the other holder when someone else has it.
   */
  public CompletionStage<Void> acquire(String holder, Duration ttl) {
    Instant until = clock.instant().plus(ttl);
    int seconds = (int) Math.max(1, ttl.toSeconds());
    return cql.thenCompose(session -> session.executeAsync(SimpleStatement.newInstance(
                "INSERT INTO " + table + " (id, holder, until) VALUES (0, ?, ?) IF NOT EXISTS USING TTL " + seconds, holder, until)
            .setSerialConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL))
        .thenCompose(rs -> {
          if (rs.wasApplied()) return CompletableFuture.completedFuture(null);
          String other = rs.one().getString("holder");
          if (!holder.equals(other)) {
            return CompletableFuture.failedFuture(new IllegalStateException("the read side is held by " + other
                + " (another rebuild); it expires unless renewed"));
          }
          return renew(holder, ttl);
        }));
  }

  /** Extends the lease; fails if it is no longer {@code holder}'s. */
  public CompletionStage<Void> renew(String holder, Duration ttl) {
    Instant until = clock.instant().plus(ttl);
    int seconds = (int) Math.max(1, ttl.toSeconds());
    // Both cells again: a cell keeps the TTL it was written with.
    return cql.thenCompose(session -> session.executeAsync(SimpleStatement.newInstance(
                "UPDATE " + table + " USING TTL " + seconds + " SET until = ?, holder = ? WHERE id = 0 IF holder = ?", until, holder, holder)
            .setSerialConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL)))
        .thenApply(rs -> {
          if (!rs.wasApplied()) throw new IllegalStateException("the read side lease of " + holder + " expired or was taken");
          return null;
        });
  }

  public CompletionStage<Void> release(String holder) {
    return cql.thenCompose(session -> session.executeAsync(SimpleStatement.newInstance(
            "DELETE FROM " + table + " WHERE id = 0 IF holder = ?", holder)
        .setSerialConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL))).thenApply(rs -> null);
  }
}
