package io.segmentd.definitions;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Custom segment definitions in Cassandra: the versions ({@code segment_definitions}) and per
 * segment the active and pending version with the backfill's progress
 * ({@code segment_definition_heads}). Version changes are conditional (Paxos) writes, so two admins
 * never get the same version and a switch happens exactly once.
 */
public final class DefinitionStore {
  private final CompletionStage<CqlSession> cql;
  private final String keyspace;

  public DefinitionStore(CompletionStage<CqlSession> cql, String keyspace) {
    this.cql = cql;
    this.keyspace = keyspace;
  }

  /** One segment's head: what queries answer from, what is being backfilled, and how far. */
  public record Head(String id, Optional<Integer> active, Optional<Integer> pending, boolean deleted, Instant updatedAt,
                     Backfill backfill) {}

  public record Backfill(String state, long total, long done, Instant startedAt, Instant finishedAt) {}

  public record Version(String id, int version, String definition, Instant createdAt) {}

  public CompletionStage<List<Head>> heads() {
    return execute(SimpleStatement.newInstance("SELECT * FROM " + keyspace + ".segment_definition_heads")
            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_QUORUM))
        .thenCompose(rs -> all(rs, new ArrayList<>()))
        .thenApply(rows -> rows.stream().map(DefinitionStore::head).toList());
  }

  public CompletionStage<Optional<Head>> head(String id) {
    return execute(SimpleStatement.newInstance("SELECT * FROM " + keyspace + ".segment_definition_heads WHERE id = ?", id)
            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL))
        .thenApply(rs -> Optional.ofNullable(rs.one()).map(DefinitionStore::head));
  }

  public CompletionStage<List<Version>> versions(String id) {
    return execute(SimpleStatement.newInstance("SELECT id, version, definition, created_at FROM " + keyspace
            + ".segment_definitions WHERE id = ?", id))
        .thenCompose(rs -> all(rs, new ArrayList<>()))
        .thenApply(rows -> rows.stream().map(r -> new Version(r.getString("id"), r.getInt("version"), r.getString("definition"),
            r.getInstant("created_at"))).toList());
  }

  public CompletionStage<Optional<Version>> version(String id, int version) {
    return execute(SimpleStatement.newInstance("SELECT id, version, definition, created_at FROM " + keyspace
            + ".segment_definitions WHERE id = ? AND version = ?", id, version))
        .thenApply(rs -> Optional.ofNullable(rs.one()).map(r -> new Version(r.getString("id"), r.getInt("version"),
            r.getString("definition"), r.getInstant("created_at"))));
  }

  /** Why a new version was not taken. */
  public static final class Conflict extends RuntimeException {
    public Conflict(String message) {
      super(message);
    }
  }

  /**
   * Writes {@code definition} as the next version of {@code id} and makes it pending (to be
   * backfilled). Fails with {@link Conflict} while another version of the segment is pending.
   */
  public CompletionStage<Integer> addVersion(String id, String definition, Instant now) {
    return versions(id).thenCompose(existing -> {
      int next = existing.stream().mapToInt(Version::version).max().orElse(0) + 1;
      return execute(SimpleStatement.newInstance("INSERT INTO " + keyspace + ".segment_definition_heads (id, deleted, updated_at) VALUES (?, false, ?) "
              + "IF NOT EXISTS", id, now).setSerialConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL))
          .thenCompose(created -> execute(SimpleStatement.newInstance("UPDATE " + keyspace + ".segment_definition_heads SET pending = ?, "
                  + "deleted = false, updated_at = ?, backfill_state = 'waiting', backfill_total = 0, backfill_done = 0, backfill_started_at = null, "
                  + "backfill_finished_at = null WHERE id = ? IF pending = null", next, now, id)
              .setSerialConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL)))
          .thenCompose(rs -> {
            if (!rs.wasApplied()) {
              return CompletableFuture.failedFuture(new Conflict("version " + rs.one().getInt("pending") + " of " + id
                  + " is still being backfilled; GET /v1/segments/" + id + "/backfill shows its progress"));
            }
            return execute(SimpleStatement.newInstance("INSERT INTO " + keyspace + ".segment_definitions (id, version, definition, created_at) "
                + "VALUES (?, ?, ?, ?)", id, next, definition, now)).thenApply(r -> next);
          });
    });
  }

  /** Marks a segment deleted: queries stop answering for it at once, entities leave it as they evaluate. */
  public CompletionStage<Boolean> delete(String id, Instant now) {
    return execute(SimpleStatement.newInstance("UPDATE " + keyspace + ".segment_definition_heads SET active = null, pending = null, deleted = true, "
            + "updated_at = ?, backfill_state = null WHERE id = ? IF EXISTS", now, id)
        .setSerialConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL)).thenApply(AsyncResultSet::wasApplied);
  }

  public CompletionStage<Void> progress(String id, int pending, String state, long total, long done, Instant startedAt) {
    return execute(SimpleStatement.newInstance("UPDATE " + keyspace + ".segment_definition_heads SET backfill_state = ?, backfill_total = ?, "
        + "backfill_done = ?, backfill_started_at = ? WHERE id = ?", state, total, done, startedAt, id)).thenApply(rs -> null);
  }

  /** The switch: the pending version becomes the one queries answer from, if it is still pending. */
  public CompletionStage<Boolean> activate(String id, int pending, long total, Instant now) {
    return execute(SimpleStatement.newInstance("UPDATE " + keyspace + ".segment_definition_heads SET active = ?, pending = null, updated_at = ?, "
            + "backfill_state = 'done', backfill_done = ?, backfill_total = ?, backfill_finished_at = ? WHERE id = ? IF pending = ?",
            pending, now, total, total, now, id, pending)
        .setSerialConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL)).thenApply(AsyncResultSet::wasApplied);
  }

  private static Head head(Row r) {
    return new Head(r.getString("id"), r.isNull("active") ? Optional.empty() : Optional.of(r.getInt("active")),
        r.isNull("pending") ? Optional.empty() : Optional.of(r.getInt("pending")), !r.isNull("deleted") && r.getBoolean("deleted"),
        r.getInstant("updated_at"), new Backfill(r.getString("backfill_state"), r.isNull("backfill_total") ? 0 : r.getLong("backfill_total"),
        r.isNull("backfill_done") ? 0 : r.getLong("backfill_done"), r.getInstant("backfill_started_at"), r.getInstant("backfill_finished_at")));
  }

  private CompletionStage<AsyncResultSet> execute(Statement<?> statement) {
    return cql.thenCompose(session -> session.executeAsync(statement));
  }

  private static CompletionStage<List<Row>> all(AsyncResultSet rs, List<Row> into) {
    rs.currentPage().forEach(into::add);
    if (!rs.hasMorePages()) return CompletableFuture.completedFuture(into);
    return rs.fetchNextPage().thenCompose(next -> all(next, into));
  }
}
