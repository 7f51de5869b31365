package io.segmentd.replay;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.segmentd.customer.Customer;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.ProfileSettings;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code replay verify}: the health of the journals. Per customer: sequence numbers without gaps
 * (from 1, or after what was deleted), each written once, by one writer at a time (a writer that
 * comes back after another took over means two were alive at once), every event readable, and
 * the latest snapshot equal to a fold of the events it covers.
 */
public final class Verify {
  /** Problems per kind, with samples. */
  public record Report(long customers, long events, Map<String, Long> problems, Map<String, List<String>> samples) {
    public boolean healthy() {
      return problems.values().stream().allMatch(n -> n == 0);
    }
  }

  public static final String GAP = "sequence-gap";
  public static final String DUPLICATE = "sequence-written-twice";
  public static final String WRITERS = "interleaved-writers";
  public static final String UNDECODABLE = "undecodable-event";
  public static final String SNAPSHOT = "snapshot-disagrees";
  public static final String SNAPSHOT_UNREADABLE = "snapshot-undecodable";

  private static final int SAMPLES = 10;

  private final ReplayEnvironment env;
  private final Map<String, AtomicLong> problems = new ConcurrentHashMap<>();
  private final Map<String, List<String>> samples = new ConcurrentHashMap<>();

  public Verify(ReplayEnvironment env) {
    this.env = env;
    for (String kind : List.of(GAP, DUPLICATE, WRITERS, UNDECODABLE, SNAPSHOT, SNAPSHOT_UNREADABLE)) {
      problems.put(kind, new AtomicLong());
      samples.put(kind, new ArrayList<>());
    }
  }

  public Report run() throws Exception {
    CqlSession cql = env.cql();
    Map<String, Long> deletedTo = new HashMap<>();
    for (Row row : cql.execute("SELECT persistence_id, deleted_to FROM " + env.keyspace() + ".metadata")) {
      if (!row.isNull("deleted_to")) deletedTo.put(row.getString("persistence_id"), row.getLong("deleted_to"));
    }
    PreparedStatement snapshot = cql.prepare("SELECT sequence_nr, ser_id, ser_manifest, snapshot FROM " + env.keyspace()
        + ".snapshots WHERE persistence_id = ? LIMIT 1");
    ReplaySettings settings = env.settings();
    ProfileSettings profileSettings = env.definitions().settings().profile();
    JournalScan scan = env.scan();
    JournalDecoder decoder = env.decoder();
    Progress progress = Progress.toStderr("verify", settings.tokenRanges(), 0);
    ParallelScan.run(TokenRanges.split(settings.tokenRanges()).ranges(), settings.parallelism(), range -> {
      scan.scan(range, journal -> {
        if (!journal.persistenceId().startsWith(ParallelScan.CUSTOMER_PREFIX)) return;
        progress.customer(journal.rows().size());
        checkSequence(journal, deletedTo.getOrDefault(journal.persistenceId(), 0L));
        List<CustomerHistory.Entry> entries = new ArrayList<>();
        boolean readable = true;
        for (JournalRow row : journal.rows()) {
          try {
            entries.add(new CustomerHistory.Entry(row.sequenceNr(), row.writtenAtMillis(), decoder.decode(row)));
          } catch (JournalDecoder.Undecodable e) {
            problem(UNDECODABLE, e.getMessage());
            readable = false;
          }
        }
        if (readable) checkSnapshot(new CustomerHistory(CustomerHistory.customerId(journal.persistenceId()), entries),
            cql.execute(snapshot.bind(journal.persistenceId())).one(), profileSettings);
      });
      progress.rangeDone();
    });
    progress.finish();
    Map<String, Long> counts = new TreeMap<>();
    problems.forEach((kind, n) -> counts.put(kind, n.get()));
    Map<String, List<String>> sampled = new TreeMap<>();
    samples.forEach((kind, list) -> {
      synchronized (list) {
        sampled.put(kind, List.copyOf(list));
      }
    });
    return new Report(progress.customers(), progress.events(), counts, sampled);
  }

  private void checkSequence(JournalScan.Journal journal, long deletedTo) {
    String id = journal.persistenceId();
    long expected = deletedTo + 1;
    Set<String> retired = new HashSet<>();
    String writer = null;
    long previous = -1;
    for (JournalRow row : journal.rows()) {
      if (row.sequenceNr() == previous) {
        problem(DUPLICATE, id + " #" + row.sequenceNr() + " written twice (writers " + writer + ", " + row.writerUuid() + ")");
      } else if (row.sequenceNr() != expected && !(previous < 0 && row.sequenceNr() < expected)) {
        problem(GAP, id + ": #" + row.sequenceNr() + " follows #" + (expected - 1));
      }
      if (!row.writerUuid().equals(writer)) {
        if (retired.contains(row.writerUuid())) {
          problem(WRITERS, id + " #" + row.sequenceNr() + ": writer " + row.writerUuid() + " wrote again after " + writer + " took over");
        }
        if (writer != null) retired.add(writer);
        writer = row.writerUuid();
      }
      previous = row.sequenceNr();
      expected = row.sequenceNr() + 1;
    }
  }

  private void checkSnapshot(CustomerHistory history, Row snapshot, ProfileSettings settings) {
    if (snapshot == null) return;
    long upTo = snapshot.getLong("sequence_nr");
    Customer.State state;
    try {
      ByteBuffer buffer = snapshot.getByteBuffer("snapshot");
      JournalRow asRow = new JournalRow(history.customerId(), 0, upTo, null, "", snapshot.getInt("ser_id"), snapshot.getString("ser_manifest"),
          buffer);
      state = (Customer.State) env.decoder().decodeAny(asRow);
    } catch (RuntimeException e) {
      problem(SNAPSHOT_UNREADABLE, history.customerId() + " snapshot #" + upTo + ": " + e.getMessage());
      return;
    }
    CustomerHistory covered = new CustomerHistory(history.customerId(),
        history.entries().stream().filter(e -> e.sequenceNr() <= upTo).toList());
    Profile folded = covered.profile(settings);
    Profile kept = state.getProfile();
    List<String> differences = new ArrayList<>();
    if (folded.eventCount() != kept.eventCount()) differences.add("eventCount " + kept.eventCount() + " vs " + folded.eventCount());
    if (!java.util.Objects.equals(folded.lastSeenAt(), kept.lastSeenAt())) differences.add("lastSeenAt " + kept.lastSeenAt() + " vs " + folded.lastSeenAt());
    if (folded.orders().size() != kept.orders().size()) differences.add("orders " + kept.orders().size() + " vs " + folded.orders().size());
    if (folded.facts().size() != kept.facts().size()) differences.add("fact groups " + kept.facts().size() + " vs " + folded.facts().size());
    if (!covered.recordedMemberships().keySet().equals(state.getSegments().keySet())) {
      differences.add("segments " + state.getSegments().keySet() + " vs " + covered.recordedMemberships().keySet());
    }
    if (!differences.isEmpty()) problem(SNAPSHOT, history.customerId() + " snapshot #" + upTo + " (snapshot vs journal): " + String.join(", ", differences));
  }

  private void problem(String kind, String sample) {
    problems.get(kind).incrementAndGet();
    List<String> list = samples.get(kind);
    synchronized (list) {
      if (list.size() < SAMPLES) list.add(sample);
    }
  }
}
