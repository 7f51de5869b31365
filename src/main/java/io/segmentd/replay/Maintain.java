package io.segmentd.replay;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * {@code replay maintain}: deletes what no promise of the product needs, by the policy in
 * {@code segmentd.retention} (README, "Retention"); a dry run unless told to apply. The journal
 * ({@code messages}) is never touched: as-of answers at any instant, histories, rebuilds and
 * backfills all read it.
 * <ul>
 *   <li>snapshots: all but a customer's latest {@code keep-snapshots} readable ones, and those that
 *       no longer deserialize (recovery skips them and replays the journal anyway);
 *   <li>replay checkpoints of runs that finished longer ago than {@code replay-runs};
 *   <li>tagged copies of transitions ({@code tag_views}) in hours older than {@code tag-views} (off
 *       by default) and older than every read-side projection's offset: needed only to replay the
 *       projections from the start ({@code POST /v1/read-side/rebuild}); {@code replay rebuild}
 *       rebuilds members and counts from the journal without them.
 * </ul>
 */
public final class Maintain {
  public record Report(boolean applied, Map<String, Long> deletions, List<String> notes) {}

  private final ReplayEnvironment env;

  public Maintain(ReplayEnvironment env) {
    this.env = env;
  }

  public Report run(boolean apply) throws Exception {
    Config retention = env.config().getConfig("segmentd.retention");
    Map<String, Long> deletions = new TreeMap<>();
    List<String> notes = new ArrayList<>();
    deletions.put("snapshots", snapshots(retention.getInt("keep-snapshots"), apply));
    deletions.put("replay-runs", replayRuns(retention.getDuration("replay-runs"), apply));
    Optional<Duration> tagViews = retention.getString("tag-views").equals("off") ? Optional.empty()
        : Optional.of(retention.getDuration("tag-views"));
    deletions.put("tag-view-hours", tagViews.map(keep -> tagViews(keep, apply, notes)).orElse(0L));
    if (tagViews.isEmpty()) notes.add("tag_views kept: segmentd.retention.tag-views = off");
    return new Report(apply, deletions, notes);
  }

  private long snapshots(int keep, boolean apply) throws Exception {
    CqlSession cql = env.cql();
    String table = env.keyspace() + ".snapshots";
    PreparedStatement scan = cql.prepare("SELECT persistence_id, sequence_nr, ser_id, ser_manifest, snapshot FROM " + table
        + " WHERE token(persistence_id) > ? AND token(persistence_id) <= ?");
    PreparedStatement delete = cql.prepare("DELETE FROM " + table + " WHERE persistence_id = ? AND sequence_nr = ?");
    JournalDecoder decoder = env.decoder();
    long[] deleted = new long[1];
    ReplaySettings settings = env.settings();
    ParallelScan.run(TokenRanges.split(settings.tokenRanges()).ranges(), settings.parallelism(), range -> {
      String current = null;
      int kept = 0;
      long count = 0;
      for (Row row : cql.execute(scan.bind(range.start(), range.end()).setPageSize(settings.pageSize()))) {
        String id = row.getString("persistence_id");
        if (!id.equals(current)) {
          current = id;
          kept = 0;
        }
        // Newest first (clustering order): keep the first readable ones.
        boolean readable;
        try {
          decoder.decodeAny(new JournalRow(id, 0, row.getLong("sequence_nr"), null, "", row.getInt("ser_id"), row.getString("ser_manifest"),
              row.getByteBuffer("snapshot")));
          readable = true;
        } catch (JournalDecoder.Undecodable e) {
          readable = false;
        }
        if (readable && kept < keep) {
          kept++;
          continue;
        }
        count++;
        if (apply) cql.execute(delete.bind(id, row.getLong("sequence_nr")));
      }
      synchronized (deleted) {
        deleted[0] += count;
      }
    });
    return deleted[0];
  }

  private long replayRuns(Duration keep, boolean apply) {
    Instant before = env.clock().instant().minus(keep);
    long count = 0;
    for (Row row : env.cql().execute("SELECT run, finished_at FROM " + env.keyspace() + ".replay_runs")) {
      Instant finished = row.getInstant("finished_at");
      if (finished == null || !finished.isBefore(before)) continue;
      count++;
      if (apply) new Checkpoints(env.cql(), env.keyspace()).forget(row.getString("run"));
    }
    return count;
  }

  private long tagViews(Duration keep, boolean apply, List<String> notes) {
    CqlSession cql = env.cql();
    Instant horizon = env.clock().instant().minus(keep);
    // Never ahead of a projection: it may still have to read what lies after its offset.
    // A small table (one row per projection instance): read whole rather than by its hashed partitions.
    for (Row row : cql.execute("SELECT projection_name, offset FROM " + env.keyspace() + ".offset_store")) {
      if (!io.segmentd.readside.SegmentMembersProjection.NAME.equals(row.getString("projection_name"))) continue;
      Instant offset = Instant.ofEpochMilli(JournalRow.epochMillis(UUID.fromString(row.getString("offset"))));
      if (offset.isBefore(horizon)) horizon = offset;
    }
    Instant cut = horizon.minus(Duration.ofHours(1));
    notes.add("tag_views deleted only in hours ending before " + cut + " (retention and projection offsets)");
    long count = 0;
    for (Row row : cql.execute("SELECT DISTINCT tag_name, timebucket FROM " + env.keyspace() + ".tag_views")) {
      long hourStart = row.getLong("timebucket");
      if (!Instant.ofEpochMilli(hourStart).plus(Duration.ofHours(1)).isBefore(cut)) continue;
      count++;
      if (apply) cql.execute("DELETE FROM " + env.keyspace() + ".tag_views WHERE tag_name = ? AND timebucket = ?", row.getString("tag_name"), hourStart);
    }
    return count;
  }
}
