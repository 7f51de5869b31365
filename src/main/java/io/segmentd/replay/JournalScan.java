package io.segmentd.replay;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads the journal table directly: a token range at a time (every customer whose partition lies
 * in it, each with its whole journal), or one customer. This is the plain-driver path of replays:
 * a range streams its partitions in token order, so one customer's rows arrive together and a
 * range needs memory for one customer at a time.
 */
public final class JournalScan {
  private static final String COLUMNS = "persistence_id, partition_nr, sequence_nr, timestamp, writer_uuid, ser_id, ser_manifest, event";

  private final CqlSession cql;
  private final long targetPartitionSize;
  private final int pageSize;
  private final PreparedStatement range;
  private final PreparedStatement partition;

  /**
   * @param targetPartitionSize the journal's {@code target-partition-size}: sequence numbers per
   *     partition of one persistence id
   */
  public JournalScan(CqlSession cql, String keyspace, long targetPartitionSize, int pageSize) {
    this.cql = cql;
    this.targetPartitionSize = targetPartitionSize;
    this.pageSize = pageSize;
    this.range = cql.prepare("SELECT " + COLUMNS + " FROM " + keyspace + ".messages"
        + " WHERE token(persistence_id, partition_nr) > ? AND token(persistence_id, partition_nr) <= ?");
    this.partition = cql.prepare("SELECT " + COLUMNS + " FROM " + keyspace + ".messages WHERE persistence_id = ? AND partition_nr = ?");
  }

  /** One persistence id's journal rows in sequence order (empty when it has none). */
  public record Journal(String persistenceId, List<JournalRow> rows) {}

  /**
   * Hands every journal in the range to {@code handler}, in token order. Partitions after a
   * persistence id's first are skipped in the scan and read with their first instead.
   */
  public void scan(TokenRanges.Range tokens, Consumer<Journal> handler) {
    ResultSet rows = cql.execute(range.bind(tokens.start(), tokens.end()).setPageSize(pageSize));
    String current = null;
    List<JournalRow> journal = new ArrayList<>();
    for (Row row : rows) {
      if (row.getLong("partition_nr") != 0) continue;
      JournalRow read = read(row);
      if (!read.persistenceId().equals(current)) {
        if (current != null) handler.accept(complete(current, journal));
        current = read.persistenceId();
        journal = new ArrayList<>();
      }
      journal.add(read);
    }
    if (current != null) handler.accept(complete(current, journal));
  }

  /** The whole journal of one persistence id, every partition. */
  public Journal read(String persistenceId) {
    List<JournalRow> rows = new ArrayList<>();
    readPartition(persistenceId, 0, rows);
    return complete(persistenceId, rows);
  }

  /**
   * A journal whose first partition may have been filled goes on in the next ones (an atomic
   * write can start a partition early, so an empty partition is looked past once).
   */
  private Journal complete(String persistenceId, List<JournalRow> first) {
    long last = first.isEmpty() ? 0 : first.get(first.size() - 1).sequenceNr();
    if (last < targetPartitionSize - 1000) return new Journal(persistenceId, first);
    List<JournalRow> rows = new ArrayList<>(first);
    int empty = 0;
    for (long partitionNr = 1; empty < 2; partitionNr++) {
      int before = rows.size();
      readPartition(persistenceId, partitionNr, rows);
      empty = rows.size() == before ? empty + 1 : 0;
    }
    return new Journal(persistenceId, rows);
  }

  private void readPartition(String persistenceId, long partitionNr, List<JournalRow> into) {
    for (Row row : cql.execute(partition.bind(persistenceId, partitionNr).setPageSize(pageSize))) into.add(read(row));
  }

  private static JournalRow read(Row row) {
    return new JournalRow(row.getString("persistence_id"), row.getLong("partition_nr"), row.getLong("sequence_nr"),
        row.getUuid("timestamp"), row.getString("writer_uuid"), row.getInt("ser_id"), row.getString("ser_manifest"),
        row.getByteBuffer("event"));
  }
}
