package io.segmentd.readside;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Rewrites members and counts from outside the projection (replay {@code rebuild}, backfills), with
 * a plain driver session and a bound on writes in flight. Counts are recounted from the member
 * rows at the end, so they equal the rows whatever was rewritten. Callers hold the
 * {@link ReadSideLease}: the projections, the tables' usual writers, are idle meanwhile.
 */
public final class MemberRewriter {
  private final CqlSession cql;
  private final String keyspace;
  private final int buckets;
  private final Semaphore inFlight;
  private final int maxInFlight;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final PreparedStatement insert;
  private final PreparedStatement delete;

  public MemberRewriter(CqlSession cql, String keyspace, int buckets, int maxInFlight) {
    this.cql = cql;
    this.keyspace = keyspace;
    this.buckets = buckets;
    this.maxInFlight = maxInFlight;
    this.inFlight = new Semaphore(maxInFlight);
    this.insert = cql.prepare("INSERT INTO " + keyspace + ".segment_members (segment, bucket, customer_id, since) VALUES (?, ?, ?, ?)");
    this.delete = cql.prepare("DELETE FROM " + keyspace + ".segment_members WHERE segment = ? AND bucket = ? AND customer_id = ?");
  }

  /** The member bucket of a customer: the projection's and the query API's. */
  public static int bucketOf(String customerId, int buckets) {
    return Math.floorMod(customerId.hashCode(), buckets);
  }

  public int buckets() {
    return buckets;
  }

  /** Empties members and counts (not the changes log: it records transitions, see docs/architecture.md). */
  public void truncate() {
    ddl("TRUNCATE " + keyspace + ".segment_members");
    ddl("TRUNCATE " + keyspace + ".segment_bucket_counts");
  }

  /** Empties the members and counts of one segment. */
  public void clear(String segment) {
    for (int bucket = 0; bucket < buckets; bucket++) {
      int b = bucket;
      submit(() -> cql.executeAsync(SimpleStatement.newInstance("DELETE FROM " + keyspace + ".segment_members WHERE segment = ? AND bucket = ?",
          segment, b)));
      submit(() -> cql.executeAsync(SimpleStatement.newInstance("DELETE FROM " + keyspace + ".segment_bucket_counts WHERE segment = ? AND bucket = ?",
          segment, b)));
    }
    flush();
  }

  public CompletionStage<?> add(String segment, String customerId, Instant since) {
    return submit(() -> cql.executeAsync(insert.bind(segment, bucketOf(customerId, buckets), customerId, since)));
  }

  public CompletionStage<?> remove(String segment, String customerId) {
    return submit(() -> cql.executeAsync(delete.bind(segment, bucketOf(customerId, buckets), customerId)));
  }

  /** Rows per single-partition batch: one request and one mutation for many rows, under Cassandra's batch size limits. */
  private static final int BATCH_ROWS = 80;

  private final Object bufferLock = new Object();
  private Map<String, List<BoundStatement>> buffered = new HashMap<>();
  private int bufferedRows;

  /**
   * Keeps a member row to send later with others of its partition ({@link #drain}, {@link #send}):
   * a rebuild writes far fewer, bigger requests than one per row.
   */
  public void buffer(String segment, String customerId, Instant since) {
    int bucket = bucketOf(customerId, buckets);
    synchronized (bufferLock) {
      buffered.computeIfAbsent(segment + "\u0000" + bucket, k -> new ArrayList<>()).add(insert.bind(segment, bucket, customerId, since));
      bufferedRows++;
    }
  }

  public int bufferedRows() {
    synchronized (bufferLock) {
      return bufferedRows;
    }
  }

  /** Takes every buffered row (rows buffered from now on wait for the next drain). */
  public Map<String, List<BoundStatement>> drain() {
    synchronized (bufferLock) {
      Map<String, List<BoundStatement>> taken = buffered;
      buffered = new HashMap<>();
      bufferedRows = 0;
      return taken;
    }
  }

  /** Writes drained rows, one unlogged batch per partition (and per {@link #BATCH_ROWS}), and waits for them. */
  public void send(Map<String, List<BoundStatement>> rows) {
    for (List<BoundStatement> partition : rows.values()) {
      for (int from = 0; from < partition.size(); from += BATCH_ROWS) {
        List<BoundStatement> chunk = partition.subList(from, Math.min(partition.size(), from + BATCH_ROWS));
        submit(() -> cql.executeAsync(BatchStatement.newInstance(DefaultBatchType.UNLOGGED).addAll(chunk)));
      }
    }
    flush();
  }

  /** Waits for every write so far; rethrows the first that failed. */
  public void flush() {
    inFlight.acquireUninterruptibly(maxInFlight);
    inFlight.release(maxInFlight);
    Throwable failed = failure.get();
    if (failed != null) throw new IllegalStateException("a read-side write failed: " + failed.getMessage(), failed);
  }

  /** Sets each bucket count of these segments to the number of its member rows. */
  public void recount(Collection<String> segments, Instant updatedAt) {
    flush();
    for (String segment : segments) {
      for (int bucket = 0; bucket < buckets; bucket++) {
        int b = bucket;
        submit(() -> count(segment, b).thenCompose(members -> cql.executeAsync(SimpleStatement.newInstance("UPDATE " + keyspace
            + ".segment_bucket_counts SET members = ?, updated_at = ? WHERE segment = ? AND bucket = ?", members, updatedAt, segment, b))));
      }
    }
    flush();
  }

  private CompletionStage<Long> count(String segment, int bucket) {
    return cql.executeAsync(SimpleStatement.newInstance("SELECT COUNT(*) AS members FROM " + keyspace
        + ".segment_members WHERE segment = ? AND bucket = ?", segment, bucket).setTimeout(Duration.ofSeconds(60)))
        .thenApply(rs -> rs.one().getLong("members"));
  }

  /** Sets one bucket's count to the number of its member rows. */
  public void recount(String segment, int bucket, Instant updatedAt) {
    flush();
    long members = count(segment, bucket).toCompletableFuture().join();
    cql.execute(SimpleStatement.newInstance("UPDATE " + keyspace + ".segment_bucket_counts SET members = ?, updated_at = ? WHERE segment = ? AND bucket = ?",
        members, updatedAt, segment, bucket));
  }

  private CompletionStage<?> submit(java.util.function.Supplier<CompletionStage<?>> request) {
    inFlight.acquireUninterruptibly();
    CompletionStage<?> write;
    try {
      write = request.get();
    } catch (RuntimeException e) {
      inFlight.release();
      throw e;
    }
    return write.whenComplete((result, error) -> {
      if (error != null) failure.compareAndSet(null, error);
      inFlight.release();
    });
  }

  private void ddl(String statement) {
    cql.execute(SimpleStatement.newInstance(statement).setTimeout(Duration.ofSeconds(60)));
  }
}
