package io.segmentd.readside;

import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
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
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The segment read side in Cassandra: members (bucketed), per-bucket counts and the changes log.
 * Written only by the segment-members projection; read by the query API.
 */
public final class SegmentStore {
  private final CassandraSession session;
  private final ActorSystem<?> system;
  private final String keyspace;
  private final int buckets;

  public SegmentStore(CassandraSession session, ActorSystem<?> system, String keyspace, int buckets) {
    this.session = session;
    this.system = system;
    this.keyspace = keyspace;
    this.buckets = buckets;
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
    return session.selectAll("SELECT customer_id FROM " + keyspace + ".segment_members WHERE segment = ? AND bucket = ? AND customer_id IN ?",
            segment, bucket, customers)
        .thenApply(rows -> {
          Set<String> present = new HashSet<>();
          for (Row row : rows) present.add(row.getString("customer_id"));
          return present;
        });
  }

  /** A member to add (with the instant it entered) or remove. */
  record MemberChange(String customerId, boolean add, Instant at) {}

  /**
   * Adds and removes members of one bucket and sets the bucket's count in one logged batch: a
   * redelivered group then finds all of it written or none, so the count never drifts from the rows.
   */
  CompletionStage<Done> changeMembers(String segment, int bucket, List<MemberChange> changes, long count, Instant updatedAt) {
    CompletionStage<PreparedStatement> insert =
        session.prepare("INSERT INTO " + keyspace + ".segment_members (segment, bucket, customer_id, since) VALUES (?, ?, ?, ?)");
    CompletionStage<PreparedStatement> delete =
        session.prepare("DELETE FROM " + keyspace + ".segment_members WHERE segment = ? AND bucket = ? AND customer_id = ?");
    CompletionStage<PreparedStatement> counter =
        session.prepare("UPDATE " + keyspace + ".segment_bucket_counts SET members = ?, updated_at = ? WHERE segment = ? AND bucket = ?");
    return insert.thenCombine(delete, (i, d) -> new PreparedStatement[] {i, d}).thenCombine(counter, (id, c) -> {
      BatchStatementBuilder batch = BatchStatement.builder(DefaultBatchType.LOGGED);
      for (MemberChange change : changes) {
        batch.addStatement(change.add() ? id[0].bind(segment, bucket, change.customerId(), change.at()) : id[1].bind(segment, bucket, change.customerId()));
      }
      return batch.addStatement(c.bind(count, updatedAt, segment, bucket)).build();
    }).thenCompose(session::executeWriteBatch);
  }

  CompletionStage<Long> bucketCount(String segment, int bucket) {
    return session.selectOne("SELECT members FROM " + keyspace + ".segment_bucket_counts WHERE segment = ? AND bucket = ?", segment, bucket)
        .thenApply(row -> row.map(r -> r.getLong("members")).orElse(0L));
  }

  /** One transition, idempotently (a redelivered envelope writes the same row). */
  CompletionStage<Done> recordChange(SegmentChange change) {
    return session.executeWrite("INSERT INTO " + keyspace + ".segment_changes (segment, slice, day, offset, customer_id, seq_nr, direction, at, "
            + "cause_trigger, rule_version, cause_values) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        change.segment(), change.slice(), dayOf(change.offset()), change.offset(), change.customerId(), change.sequenceNr(),
        change.direction(), change.at(), change.trigger(), change.ruleVersion(), change.values());
  }

  /** Empties the read side before a rebuild from the journal. */
  public CompletionStage<Done> truncate() {
    return session.executeDDL("TRUNCATE " + keyspace + ".segment_members")
        .thenCompose(d -> session.executeDDL("TRUNCATE " + keyspace + ".segment_bucket_counts"))
        .thenCompose(d -> session.executeDDL("TRUNCATE " + keyspace + ".segment_changes"));
  }

  // ---- reads (the query API) ------------------------------------------------------------------

  /** Member count and last update of every segment that ever had a member. */
  public record Count(long members, Instant updatedAt) {}

  public CompletionStage<Map<String, Count>> counts() {
    return session.select("SELECT segment, members, updated_at FROM " + keyspace + ".segment_bucket_counts")
        .runFold(new HashMap<String, Count>(), (acc, row) -> {
          acc.merge(row.getString("segment"), new Count(row.getLong("members"), row.getInstant("updated_at")),
              (a, b) -> new Count(a.members() + b.members(), latest(a.updatedAt(), b.updatedAt())));
          return acc;
        }, system).thenApply(m -> m);
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
    return session.selectAll("SELECT customer_id FROM " + keyspace + ".segment_members WHERE segment = ? AND bucket = ? AND customer_id > ? LIMIT ?",
            segment, from.bucket(), from.after(), wanted)
        .thenCompose(rows -> {
          for (Row row : rows) page.add(row.getString("customer_id"));
          if (rows.size() == wanted) {
            return CompletableFuture.completedFuture(new Page(page, Optional.of(new Position(from.bucket(), page.get(page.size() - 1)).encode())));
          }
          return fill(segment, new Position(from.bucket() + 1, ""), limit, page);
        });
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

  /** Changes of one segment written by one slice, after {@code after}, in offset order, from its day on. */
  public Source<SegmentChange, NotUsed> changes(String segment, int slice, UUID after, int fromDay, int toDay, int limit) {
    return Source.range(fromDay, toDay).flatMapConcat(day ->
        session.select("SELECT offset, customer_id, seq_nr, direction, at, cause_trigger, rule_version, cause_values FROM " + keyspace
                + ".segment_changes WHERE segment = ? AND slice = ? AND day = ? AND offset > ? LIMIT ?", segment, slice, (int) day, after, limit)
            .map(row -> new SegmentChange(segment, slice, row.getUuid("offset"), row.getString("customer_id"), row.getLong("seq_nr"),
                row.getString("direction"), row.getInstant("at"), row.getString("cause_trigger"), row.getInt("rule_version"),
                row.getMap("cause_values", String.class, String.class))));
  }

  public static int dayOf(UUID timeUuid) {
    return (int) Math.floorDiv(TimeUuids.epochMillis(timeUuid), 86_400_000L);
  }
}
