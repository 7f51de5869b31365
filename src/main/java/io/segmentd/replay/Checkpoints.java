package io.segmentd.replay;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/** The progress of replay runs in Cassandra: a run's ranges done, so a rerun resumes after a crash. */
final class Checkpoints {
  private final CqlSession cql;
  private final String keyspace;

  Checkpoints(CqlSession cql, String keyspace) {
    this.cql = cql;
    this.keyspace = keyspace;
  }

  record Run(String run, int ranges, Instant preparedAt, Instant finishedAt) {}

  Optional<Run> run(String run) {
    Row row = cql.execute("SELECT run, ranges, prepared_at, finished_at FROM " + keyspace + ".replay_runs WHERE run = ?", run).one();
    return row == null ? Optional.empty()
        : Optional.of(new Run(run, row.getInt("ranges"), row.getInstant("prepared_at"), row.getInstant("finished_at")));
  }

  void start(String run, String command, int ranges, Instant at) {
    cql.execute("INSERT INTO " + keyspace + ".replay_runs (run, command, ranges, started_at) VALUES (?, ?, ?, ?)", run, command, ranges, at);
  }

  void prepared(String run, Instant at) {
    cql.execute("UPDATE " + keyspace + ".replay_runs SET prepared_at = ? WHERE run = ?", at, run);
  }

  void finished(String run, Instant at) {
    cql.execute("UPDATE " + keyspace + ".replay_runs SET finished_at = ? WHERE run = ?", at, run);
  }

  void forget(String run) {
    cql.execute("DELETE FROM " + keyspace + ".replay_ranges WHERE run = ?", run);
    cql.execute("DELETE FROM " + keyspace + ".replay_runs WHERE run = ?", run);
  }

  /** A range finished. */
  record RangeDone(int range, long customers, long events, Set<String> segments) {}

  /** Ranges finished, written side by side (each range's segments make a batch of many too big for one request). */
  void rangesDone(String run, java.util.List<RangeDone> ranges, Instant at) {
    if (ranges.isEmpty()) return;
    var insert = cql.prepare("INSERT INTO " + keyspace + ".replay_ranges (run, range, customers, events, segments, finished_at) VALUES (?, ?, ?, ?, ?, ?)");
    var writes = new java.util.ArrayList<java.util.concurrent.CompletableFuture<?>>();
    for (RangeDone r : ranges) {
      writes.add(cql.executeAsync(insert.bind(run, r.range(), r.customers(), r.events(), r.segments(), at)).toCompletableFuture());
    }
    java.util.concurrent.CompletableFuture.allOf(writes.toArray(java.util.concurrent.CompletableFuture[]::new)).join();
  }

  /** The ranges done, and the segments they wrote members of. */
  record Done(Set<Integer> ranges, Set<String> segments) {}

  Done done(String run) {
    Set<Integer> ranges = new HashSet<>();
    Set<String> segments = new HashSet<>();
    for (Row row : cql.execute("SELECT range, segments FROM " + keyspace + ".replay_ranges WHERE run = ?", run)) {
      ranges.add(row.getInt("range"));
      segments.addAll(row.getSet("segments", String.class));
    }
    return new Done(ranges, segments);
  }
}
