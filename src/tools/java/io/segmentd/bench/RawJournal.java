package io.segmentd.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import io.segmentd.load.Batch;
import io.segmentd.load.BatchSender;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The yardstick: a plain DataStax driver doing the journal work segmentd does, on the same
 * Cassandra. It writes to a copy of pekko-persistence-cassandra's {@code messages} table (same
 * columns, key and compaction) in its own keyspace, so the real journal is not disturbed: per
 * request, for each customer in it, one row holding that customer's events (the
 * {@code EventsRecorded} row segmentd persists per customer and request, without the transition
 * rows and tag writes segmentd adds), all rows of the request in flight at once.
 */
public final class RawJournal implements AutoCloseable {
  private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyyMMdd'T'HH").withZone(ZoneOffset.UTC);

  private final CqlSession cql;
  private final String keyspace;
  private final PreparedStatement insert;
  private final Map<String, AtomicLong> sequenceNrs = new ConcurrentHashMap<>();
  private final String writerUuid = UUID.randomUUID().toString();

  public RawJournal(String cassandra, String keyspace) {
    this.cql = CqlSession.builder()
        .withConfigLoader(DriverConfigLoader.programmaticBuilder()
            // set here, not added: the jar's persistence.conf names 127.0.0.1:9042, which may be another Cassandra
            .withStringList(DefaultDriverOption.CONTACT_POINTS, List.of(cassandra.split(",")[0]))
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(10))
            .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(30))
            .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(30)).build())
        .withLocalDatacenter("datacenter1").build();
    this.keyspace = keyspace;
    cql.execute("CREATE KEYSPACE IF NOT EXISTS " + keyspace
        + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    // the schema of src/main/resources/cql/002-journal.cql
    cql.execute("CREATE TABLE IF NOT EXISTS " + keyspace + ".messages (persistence_id text, partition_nr bigint, sequence_nr bigint,"
        + " timestamp timeuuid, timebucket text, writer_uuid text, ser_id int, ser_manifest text, event_manifest text, event blob,"
        + " meta_ser_id int, meta_ser_manifest text, meta blob, tags set<text>,"
        + " PRIMARY KEY ((persistence_id, partition_nr), sequence_nr, timestamp))"
        + " WITH gc_grace_seconds = 864000 AND compaction = {'class': 'SizeTieredCompactionStrategy', 'enabled': true,"
        + " 'tombstone_compaction_interval': 86400, 'tombstone_threshold': 0.2, 'unchecked_tombstone_compaction': false,"
        + " 'bucket_high': 1.5, 'bucket_low': 0.5, 'max_threshold': 32, 'min_threshold': 4, 'min_sstable_size': 50}");
    this.insert = cql.prepare("INSERT INTO " + keyspace + ".messages (persistence_id, partition_nr, sequence_nr, timestamp, timebucket,"
        + " writer_uuid, ser_id, ser_manifest, event_manifest, event) VALUES (?, 0, ?, ?, ?, ?, ?, ?, '', ?)");
  }

  /** A sender that writes each request's rows (one per customer) and answers 200 when all are written. */
  public BatchSender sender(Executor callbacks) {
    return batch -> {
      Map<String, StringBuilder> byCustomer = new LinkedHashMap<>();
      for (Batch.Event event : batch.events()) {
        byCustomer.computeIfAbsent(event.customerId(), c -> new StringBuilder()).append(event.json());
      }
      List<CompletableFuture<AsyncResultSet>> writes = new ArrayList<>(byCustomer.size());
      String bucket = HOUR.format(Instant.now());
      byCustomer.forEach((customer, events) -> {
        long sequenceNr = sequenceNrs.computeIfAbsent(customer, c -> new AtomicLong()).incrementAndGet();
        writes.add(cql.executeAsync(insert.bind("Customer|" + customer, sequenceNr, Uuids.timeBased(), bucket, writerUuid,
            33, "io.segmentd.customer.Customer$EventsRecorded", ByteBuffer.wrap(events.toString().getBytes(StandardCharsets.UTF_8))))
            .toCompletableFuture());
      });
      return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
          .handleAsync((done, failure) -> failure == null ? 200 : 503, callbacks);
    };
  }

  /**
   * Reads one persistence id's journal rows from {@code journalKeyspace} (segmentd's real journal)
   * the way a recovery does, partition by partition, touching every event blob; answers the rows.
   */
  public long readJournal(String journalKeyspace, String persistenceId) {
    // the driver caches prepared statements: prepared once per keyspace
    PreparedStatement select = cql.prepare("SELECT sequence_nr, event, ser_manifest FROM " + journalKeyspace
        + ".messages WHERE persistence_id = ? AND partition_nr = ?");
    long rows = 0;
    for (long partition = 0; ; partition++) {
      ResultSet result = cql.execute(select.bind(persistenceId, partition));
      long before = rows;
      long bytes = 0;
      for (Row row : result) {
        ByteBuffer event = row.getByteBuffer("event");
        bytes += event == null ? 0 : event.remaining();
        rows++;
      }
      if (rows == before || bytes < 0) return rows;
    }
  }

  public CqlSession session() {
    return cql;
  }

  @Override
  public void close() {
    cql.close();
  }
}
