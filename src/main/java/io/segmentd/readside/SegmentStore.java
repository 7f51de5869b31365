package io.segmentd.readside;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import io.segmentd.common.Stages;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;

/**
 * The segment read side in Cassandra: members (bucketed), per-bucket counts and the changes log.
 * Written only by the segment-members projection; read by the query API.
 */
public final class SegmentStore {
  private final CassandraSession session;
  private final ActorSystem<?> system;
  private final String keyspace;
  private final int buckets;
  private final Executor executor;

  public SegmentStore(CassandraSession session, ActorSystem<?> system, String keyspace, int buckets) {
    this.session = session;
    this.system = system;
    this.keyspace = keyspace;
    this.buckets = buckets;
    this.executor = system.executionContext();
  }

  /** Every session stage continues on the dispatcher, never on a thread of its own (see {@link Stages}). */
  private <T> CompletableFuture<T> on(CompletionStage<T> stage) {
    return Stages.on(stage, executor);
  }

  public int buckets() {
    return buckets;
  }

  public int bucketOf(String customerId) {
    return Math.floorMod(customerId.hashCode(), buckets);
  }

  // ---- writes (the projection) ----------------------------------------------------------------

  /** Which of {@code customers} are members of the segment now (all in one bucket). */
  CompletionStage<Set<String>> membersAmong(String segment, int bucket, List<String> customers) {
    return on(session.selectAll("SELECT customer_id FROM " + keyspace + ".segment_members WHERE segment = ? AND bucket = ? AND customer_id IN ?",
            segment, bucket, customers))
        .thenApply(rows -> {
          Set<String> present = new HashSet<>();
          for (Row row : rows) present.add(row.getString("customer_id"));
          return present;
        });
  }

  /** A member to add (with the instant it entered) or remove. */
  /**
   * A member to add (with the instant it entered) or remove. {@code counted}: it changes the count
   * (a member that left and came back within one group only gets its new {@code since}).
   */
  record MemberChange(String customerId, boolean add, Instant at, boolean counted) {
    long delta() {
      return counted ? (add ? 1 : -1) : 0;
    }
  }

  /**
   * Adds and removes members of one bucket and sets the bucket's count in one logged batch: a
   * redelivered group then finds all of it written or none, so the count never drifts from the rows.
   */
  CompletionStage<Done> changeMembers(String segment, int bucket, List<MemberChange> changes, long count, Instant updatedAt) {
    CompletionStage<PreparedStatement> insert =
        on(session.prepare("INSERT INTO " + keyspace + ".segment_members (segment, bucket, customer_id, since) VALUES (?, ?, ?, ?)"));
    CompletionStage<PreparedStatement> delete =
        on(session.prepare("DELETE FROM " + keyspace + ".segment_members WHERE segment = ? AND bucket = ? AND customer_id = ?"));
    CompletionStage<PreparedStatement> counter =
        on(session.prepare("UPDATE " + keyspace + ".segment_bucket_counts SET members = ?, updated_at = ? WHERE segment = ? AND bucket = ?"));
    return insert.thenCombine(delete, (i, d) -> new PreparedStatement[] {i, d}).thenCombine(counter, (id, c) -> {
      BatchStatementBuilder batch = BatchStatement.builder(DefaultBatchType.LOGGED);
      for (MemberChange change : changes) {
        batch.addStatement(change.add() ? id[0].bind(segment, bucket, change.customerId(), change.at()) : id[1].bind(segment, bucket, change.customerId()));
      }
      return batch.addStatement(c.bind(count, updatedAt, segment, bucket)).build();
    }).thenCompose(batch -> on(session.executeWriteBatch(batch)));
  }

  CompletionStage<Long> bucketCount(String segment, int bucket) {
    return on(session.selectOne("SELECT members FROM " + keyspace + ".segment_bucket_counts WHERE segment = ? AND bucket = ?", segment, bucket))
        .thenApply(row -> row.map(r -> r.getLong("members")).orElse(0L));
  }

  // ---- the changes log (written by the projection) ---------------------------------------------

  /** Rows per partition of segment_change_log: position p lives in partition p / this, whatever writes it. */
  static final long LOG_PARTITION_ROWS = 50_000;

  /** A transition as the changes log identifies it: one journal event. */
  record ChangeKey(String customerId, long sequenceNr) {}

  /** Where a transition's key row says it was logged; an attempt that never committed may have left it. */
  record LoggedAt(String segment, long position) {}

  /** A slice's committed heads (segment -> head) and how many commits made them. */
  record Heads(Map<String, Long> heads, long version) {}

  /**
   * The committed heads of one slice's logs, read as a serial (Paxos) read: it completes or voids
   * a commit still in flight, so nothing commits behind the back of a writer that starts from it.
   */
  CompletionStage<Heads> changeHeads(int slice) {
    return on(session.selectAll(SimpleStatement.newInstance("SELECT segment, head, version FROM " + keyspace + ".segment_change_heads WHERE slice = ?", slice)
            .setConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL)))
        .thenApply(rows -> {
          Map<String, Long> heads = new HashMap<>();
          long version = 0;
          for (Row row : rows) {
            if (!row.isNull("version")) version = row.getLong("version");
            if (row.getString("segment") != null && !row.isNull("head")) heads.put(row.getString("segment"), row.getLong("head"));
          }
          return new Heads(heads, version);
        });
  }

  /**
   * Moves the heads of one slice's logs in one conditional batch, if no other commit came since
   * {@code version}; false if one did (another writer of the slice). The rows up to the new heads
   * must be written already.
   */
  CompletionStage<Boolean> commitChangeHeads(int slice, long version, Map<String, Long> heads) {
    CompletionStage<PreparedStatement> commit =
        on(session.prepare("UPDATE " + keyspace + ".segment_change_heads SET version = ? WHERE slice = ? IF version = ?"));
    CompletionStage<PreparedStatement> move = on(session.prepare("UPDATE " + keyspace + ".segment_change_heads SET head = ? WHERE slice = ? AND segment = ?"));
    return commit.thenCombine(move, (c, m) -> {
      // Before the first commit (or after a rebuild) the partition has no version: null, not 0.
      BatchStatementBuilder batch = BatchStatement.builder(DefaultBatchType.LOGGED).addStatement(c.bind(version + 1, slice, version == 0 ? null : version));
      heads.forEach((segment, head) -> batch.addStatement(m.bind(head, slice, segment)));
      return batch.setSerialConsistencyLevel(DefaultConsistencyLevel.LOCAL_SERIAL).build();
    }).thenCompose(statement -> on(session.selectOne(statement))).thenApply(row -> row.map(r -> r.getBoolean("[applied]")).orElse(false));
  }

  /** Where the transitions of these customers (of one member bucket) that were written on {@code day} are logged. */
  CompletionStage<Map<ChangeKey, LoggedAt>> loggedChanges(int bucket, int day, List<String> customers) {
    return on(session.selectAll("SELECT customer_id, seq_nr, segment, position FROM " + keyspace
            + ".segment_change_keys WHERE bucket = ? AND day = ? AND customer_id IN ?", bucket, day, customers))
        .thenApply(rows -> {
          Map<ChangeKey, LoggedAt> logged = new HashMap<>();
          for (Row row : rows) {
            logged.put(new ChangeKey(row.getString("customer_id"), row.getLong("seq_nr")), new LoggedAt(row.getString("segment"), row.getLong("position")));
          }
          return logged;
        });
  }

  /** The transitions in the rows at these positions of one segment's log of a slice (absent rows are left out). */
  CompletionStage<Map<Long, ChangeKey>> changesAt(String segment, int slice, List<Long> positions) {
    Map<Long, List<Long>> byPart = new TreeMap<>();
    for (long position : positions) byPart.computeIfAbsent(position / LOG_PARTITION_ROWS, p -> new ArrayList<>()).add(position);
    List<CompletableFuture<List<Row>>> reads = new ArrayList<>();
    byPart.forEach((part, inPart) -> reads.add(on(session.selectAll("SELECT position, customer_id, seq_nr FROM " + keyspace
        + ".segment_change_log WHERE segment = ? AND slice = ? AND part = ? AND position IN ?", segment, slice, part, inPart)).toCompletableFuture()));
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
      Map<Long, ChangeKey> keys = new HashMap<>();
      for (CompletableFuture<List<Row>> read : reads) {
        for (Row row : read.join()) keys.put(row.getLong("position"), new ChangeKey(row.getString("customer_id"), row.getLong("seq_nr")));
      }
      return keys;
    });
  }

  /**
   * Writes a transition's row at its position and, under its key, where it is. Both are invisible
   * to readers until a commit moves the head over the position; written again, they overwrite.
   */
  CompletionStage<Done> logChange(SegmentChange change, int bucket, int day) {
    CompletionStage<Done> row = on(session.executeWrite("INSERT INTO " + keyspace + ".segment_change_log (segment, slice, part, position, customer_id, "
            + "seq_nr, direction, at, recorded_at, cause_trigger, rule_version, cause_values) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        change.segment(), change.slice(), change.position() / LOG_PARTITION_ROWS, change.position(), change.customerId(), change.sequenceNr(),
        change.direction(), change.at(), change.recordedAt(), change.trigger(), change.ruleVersion(), change.values()));
    CompletionStage<Done> key = on(session.executeWrite("INSERT INTO " + keyspace + ".segment_change_keys (bucket, day, customer_id, seq_nr, segment, "
        + "position) VALUES (?, ?, ?, ?, ?, ?)", bucket, day, change.customerId(), change.sequenceNr(), change.segment(), change.position()));
    return row.thenCombine(key, (r, k) -> Done.getInstance());
  }

  /** A transition to log: its row, and the member bucket and day its key row is filed under. */
  record LogEntry(SegmentChange change, int bucket, int day) {}

  /** Rows per single-partition batch of the changes log: one mutation each, whatever the count. */
  private static final int LOG_BATCH_ROWS = 100;

  /**
   * {@link #logChange} for many transitions at once: the rows of one log partition, and the key rows
   * of one key partition, go in single-partition unlogged batches (one request and one mutation per
   * partition instead of one per row; atomic within their partition). {@code parallelism} bounds the
   * batches in flight.
   */
  CompletionStage<Done> logChanges(List<LogEntry> entries, int parallelism) {
    if (entries.isEmpty()) return CompletableFuture.completedFuture(Done.getInstance());
    CompletionStage<PreparedStatement> logRow = on(session.prepare("INSERT INTO " + keyspace + ".segment_change_log (segment, slice, part, "
        + "position, customer_id, seq_nr, direction, at, recorded_at, cause_trigger, rule_version, cause_values) "
        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    CompletionStage<PreparedStatement> keyRow = on(session.prepare("INSERT INTO " + keyspace + ".segment_change_keys (bucket, day, customer_id, "
        + "seq_nr, segment, position) VALUES (?, ?, ?, ?, ?, ?)"));
    return logRow.thenCombine(keyRow, (log, key) -> {
      Map<String, List<com.datastax.oss.driver.api.core.cql.BoundStatement>> byPartition = new java.util.LinkedHashMap<>();
      for (LogEntry e : entries) {
        SegmentChange c = e.change();
        long part = c.position() / LOG_PARTITION_ROWS;
        byPartition.computeIfAbsent("log/" + c.segment() + "/" + c.slice() + "/" + part, k -> new ArrayList<>())
            .add(log.bind(c.segment(), c.slice(), part, c.position(), c.customerId(), c.sequenceNr(), c.direction(), c.at(), c.recordedAt(), c.trigger(),
                c.ruleVersion(), c.values()));
        byPartition.computeIfAbsent("key/" + e.bucket() + "/" + e.day(), k -> new ArrayList<>())
            .add(key.bind(e.bucket(), e.day(), c.customerId(), c.sequenceNr(), c.segment(), c.position()));
      }
      List<BatchStatement> batches = new ArrayList<>();
      for (List<com.datastax.oss.driver.api.core.cql.BoundStatement> rows : byPartition.values()) {
        for (int from = 0; from < rows.size(); from += LOG_BATCH_ROWS) {
          batches.add(BatchStatement.newInstance(DefaultBatchType.UNLOGGED)
              .addAll(rows.subList(from, Math.min(rows.size(), from + LOG_BATCH_ROWS))));
        }
      }
      return batches;
    }).thenCompose(batches -> {
      CompletionStage<Done> done = CompletableFuture.completedFuture(Done.getInstance());
      for (int from = 0; from < batches.size(); from += parallelism) {
        List<BatchStatement> wave = batches.subList(from, Math.min(batches.size(), from + parallelism));
        done = done.thenCompose(d -> CompletableFuture.allOf(wave.stream().map(b -> on(session.executeWriteBatch(b)))
            .toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance()));
      }
      return done;
    });
  }

  /**
   * Empties the read side before a rebuild from the journal. The changes log starts a new
   * generation first, so a reader of the old one stops before it could read the new one's rows.
   */
  public CompletionStage<Done> truncate() {
    return changesGeneration()
        .thenCompose(generation -> on(session.executeWrite("INSERT INTO " + keyspace + ".segment_change_generation (id, generation) VALUES (0, ?)",
            generation + 1)))
        .thenCompose(d -> on(session.executeDDL("TRUNCATE " + keyspace + ".segment_members")))
        .thenCompose(d -> on(session.executeDDL("TRUNCATE " + keyspace + ".segment_bucket_counts")))
        .thenCompose(d -> on(session.executeDDL("TRUNCATE " + keyspace + ".segment_change_log")))
        .thenCompose(d -> on(session.executeDDL("TRUNCATE " + keyspace + ".segment_change_heads")))
        .thenCompose(d -> on(session.executeDDL("TRUNCATE " + keyspace + ".segment_change_keys")));
  }

  // ---- reads (the query API) ------------------------------------------------------------------

  /** Member count and last update of every segment that ever had a member. */
  public record Count(long members, Instant updatedAt) {}

  public CompletionStage<Map<String, Count>> counts() {
    return on(session.select("SELECT segment, members, updated_at FROM " + keyspace + ".segment_bucket_counts")
        .runFold(new HashMap<String, Count>(), (acc, row) -> {
          acc.merge(row.getString("segment"), new Count(row.getLong("members"), row.getInstant("updated_at")),
              (a, b) -> new Count(a.members() + b.members(), latest(a.updatedAt(), b.updatedAt())));
          return acc;
        }, system)).thenApply(m -> m);
  }

  private static Instant latest(Instant a, Instant b) {
    if (a == null) return b;
    if (b == null) return a;
    return a.isAfter(b) ? a : b;
  }

  /** A page of members and the cursor of the next page (empty at the end). */
  public record Page(List<String> members, Optional<String> nextCursor) {}

  /**
   * Members in (bucket, customer id) order from the cursor on. Each member that stays in the
   * segment during a walk is returned exactly once, whatever else is written meanwhile.
   */
  public CompletionStage<Page> members(String segment, Optional<String> cursor, int limit) {
    Position from = cursor.map(Position::decode).orElse(new Position(0, ""));
    if (from.bucket() < 0 || from.bucket() > buckets) {
      throw new io.segmentd.http.InvalidRequest("invalid_parameter", "cursor is not a cursor this API returned");
    }
    return fill(segment, from, limit, new ArrayList<>());
  }

  private CompletionStage<Page> fill(String segment, Position from, int limit, List<String> page) {
    if (from.bucket() >= buckets) return CompletableFuture.completedFuture(new Page(page, Optional.empty()));
    int wanted = limit - page.size();
    return on(session.selectAll("SELECT customer_id FROM " + keyspace + ".segment_members WHERE segment = ? AND bucket = ? AND customer_id > ? LIMIT ?",
            segment, from.bucket(), from.after(), wanted))
        .thenCompose(rows -> {
          for (Row row : rows) page.add(row.getString("customer_id"));
          if (rows.size() == wanted) {
            return CompletableFuture.completedFuture(new Page(page, Optional.of(new Position(from.bucket(), page.get(page.size() - 1)).encode())));
          }
          return fill(segment, new Position(from.bucket() + 1, ""), limit, page);
        });
  }

  /** Every member of one bucket of a segment: a uniform random subset of its members (buckets are by hash). */
  public CompletionStage<List<String>> bucketMembers(String segment, int bucket) {
    return on(session.selectAll("SELECT customer_id FROM " + keyspace + ".segment_members WHERE segment = ? AND bucket = ?", segment, bucket))
        .thenApply(rows -> rows.stream().map(r -> r.getString("customer_id")).toList());
  }

  /** Where a member walk stands: the bucket, and the last customer id returned in it. */
  record Position(int bucket, String after) {
    String encode() {
      return Base64.getUrlEncoder().withoutPadding().encodeToString((bucket + ":" + after).getBytes(StandardCharsets.UTF_8));
    }

    static Position decode(String cursor) {
      try {
        String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        int colon = text.indexOf(':');
        return new Position(Integer.parseInt(text.substring(0, colon)), text.substring(colon + 1));
      } catch (RuntimeException e) {
        throw new io.segmentd.http.InvalidRequest("invalid_parameter", "cursor '" + cursor + "' is not a cursor this API returned");
      }
    }
  }

  // ---- the changes log (the query API) -------------------------------------------------------

  /** The generation of the changes log: 0 until the first rebuild. */
  public CompletionStage<Long> changesGeneration() {
    return on(session.selectOne("SELECT generation FROM " + keyspace + ".segment_change_generation WHERE id = 0"))
        .thenApply(row -> row.map(r -> r.getLong("generation")).orElse(0L));
  }

  /** How far every slice's log of a segment is committed (0 where nothing is). */
  public CompletionStage<long[]> committedHeads(String segment, int slices) {
    List<Integer> all = new ArrayList<>();
    for (int slice = 0; slice < slices; slice++) all.add(slice);
    return on(session.selectAll("SELECT slice, head FROM " + keyspace + ".segment_change_heads WHERE slice IN ? AND segment = ?", all, segment))
        .thenApply(rows -> {
          long[] heads = new long[slices];
          for (Row row : rows) heads[row.getInt("slice")] = row.getLong("head");
          return heads;
        });
  }

  /**
   * The changes of one segment's log of a slice at positions after {@code after} up to
   * {@code upTo}, in order, as far as they are contiguous: a missing row ends the list rather
   * than being skipped.
   */
  public CompletionStage<List<SegmentChange>> changes(String segment, int slice, long after, long upTo) {
    CompletionStage<List<SegmentChange>> read = CompletableFuture.completedFuture(new ArrayList<>());
    for (long part = (after + 1) / LOG_PARTITION_ROWS; part <= upTo / LOG_PARTITION_ROWS; part++) {
      long p = part;
      read = read.thenCompose(changes -> on(session.selectAll("SELECT position, customer_id, seq_nr, direction, at, recorded_at, cause_trigger, rule_version, "
              + "cause_values FROM " + keyspace + ".segment_change_log WHERE segment = ? AND slice = ? AND part = ? AND position > ? AND position <= ?",
              segment, slice, p, after, upTo))
          .thenApply(rows -> {
            for (Row row : rows) {
              changes.add(new SegmentChange(segment, slice, row.getLong("position"), row.getString("customer_id"), row.getLong("seq_nr"),
                  row.getString("direction"), row.getInstant("at"), row.getInstant("recorded_at"), row.getString("cause_trigger"), row.getInt("rule_version"),
                  row.getMap("cause_values", String.class, String.class)));
            }
            return changes;
          }));
    }
    return read.thenApply(changes -> {
      List<SegmentChange> contiguous = new ArrayList<>();
      long expected = after + 1;
      for (SegmentChange change : changes) {
        if (change.position() != expected) break;
        expected++;
        // An erased customer's change keeps its place (readers past it stay past it) and is not shown.
        if (change.customerId() != null) contiguous.add(change);
      }
      return contiguous;
    });
  }

  // ---- erasure --------------------------------------------------------------------------------

  /** Whether the customer is a member of any of {@code segments} on the read side. */
  public CompletionStage<Boolean> isMemberOfAny(java.util.Collection<String> segments, String customerId) {
    int bucket = bucketOf(customerId);
    List<CompletableFuture<Set<String>>> reads = new ArrayList<>();
    for (String segment : segments) reads.add(membersAmong(segment, bucket, List.of(customerId)).toCompletableFuture());
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenApply(v -> reads.stream().anyMatch(r -> !r.join().isEmpty()));
  }

  /**
   * Erases a customer from the changes logs of {@code slice}: each of its logged transitions
   * (found by key, under the days of their journal writes) keeps its position with nothing of the
   * customer left in it, so readers neither stop at a gap nor see it; then its key rows go.
   * Answers how many transitions were erased.
   */
  public CompletionStage<Integer> eraseChanges(String customerId, int slice, java.util.Collection<Integer> days) {
    int bucket = bucketOf(customerId);
    CompletionStage<Integer> erased = CompletableFuture.completedFuture(0);
    for (int day : days) {
      erased = erased.thenCompose(sofar -> loggedChanges(bucket, day, List.of(customerId)).thenCompose(logged -> {
        Map<String, List<Long>> bySegment = new TreeMap<>();
        logged.values().forEach(at -> bySegment.computeIfAbsent(at.segment(), k -> new ArrayList<>()).add(at.position()));
        CompletionStage<Integer> segmentsDone = CompletableFuture.completedFuture(0);
        for (Map.Entry<String, List<Long>> segment : bySegment.entrySet()) {
          segmentsDone = segmentsDone.thenCompose(n -> changesAt(segment.getKey(), slice, segment.getValue()).thenCompose(rows -> {
            List<CompletableFuture<Done>> redactions = new ArrayList<>();
            rows.forEach((position, key) -> {
              // A key row can point at a position another transition took (a crashed attempt): only its own rows go.
              if (customerId.equals(key.customerId())) {
                redactions.add(on(session.executeWrite("UPDATE " + keyspace + ".segment_change_log SET customer_id = null, seq_nr = null, "
                    + "cause_values = null, cause_trigger = null WHERE segment = ? AND slice = ? AND part = ? AND position = ?",
                    segment.getKey(), slice, position / LOG_PARTITION_ROWS, position)));
              }
            });
            return CompletableFuture.allOf(redactions.toArray(CompletableFuture[]::new)).thenApply(v -> n + redactions.size());
          }));
        }
        return segmentsDone.thenCompose(n -> on(session.executeWrite("DELETE FROM " + keyspace
            + ".segment_change_keys WHERE bucket = ? AND day = ? AND customer_id = ?", bucket, day, customerId)).thenApply(d -> sofar + n));
      }));
    }
    return erased;
  }
}
