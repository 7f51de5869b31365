package io.segmentd.readside;

import io.segmentd.customer.Customer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.projection.javadsl.ProjectionManagement;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Compares the read side with what the customers themselves say (every customer in the journal is
 * asked for its recorded memberships), and rebuilds the read side from the journal.
 */
public final class ReadSideCheck {
  private static final int SAMPLE = 20;

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final SegmentStore store;
  private final int slices;
  private final Duration askTimeout;

  public ReadSideCheck(ActorSystem<?> system, SegmentStore store, int slices, Duration askTimeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.store = store;
    this.slices = slices;
    this.askTimeout = askTimeout;
  }

  public record SegmentDifference(String segment, int expected, int listed, long counted, List<String> missing, List<String> unexpected) {}

  public record Report(int customers, int segments, boolean consistent, List<SegmentDifference> differences) {}

  public CompletionStage<Report> check() {
    CassandraReadJournal journal = PersistenceQuery.get(system).getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    String prefix = Customer.ENTITY_KEY.name() + "|";
    Map<String, Set<String>> expected = new HashMap<>();
    return io.segmentd.common.Stages.on(journal.currentPersistenceIds()
        .filter(id -> id.startsWith(prefix))
        .map(id -> id.substring(prefix.length()))
        .mapAsyncUnordered(16, customerId -> sharding.entityRefFor(Customer.ENTITY_KEY, customerId)
            .<Customer.CustomerView>askWithStatus(replyTo -> new Customer.GetProfile(null, replyTo), askTimeout))
        .runWith(Sink.fold(0, (n, view) -> {
          for (String segment : view.recorded()) expected.computeIfAbsent(segment, s -> new TreeSet<>()).add(view.customerId());
          return n + 1;
        }), system), system.executionContext())
        .thenCompose(customers -> store.counts().thenCompose(counts -> {
          Set<String> segments = new TreeSet<>(expected.keySet());
          counts.forEach((segment, count) -> {
            if (count.members() > 0) segments.add(segment);
          });
          CompletionStage<List<SegmentDifference>> differences = CompletableFuture.completedFuture(new ArrayList<>());
          for (String segment : segments) {
            differences = differences.thenCompose(list -> allMembers(segment).thenApply(listed -> {
              Set<String> want = expected.getOrDefault(segment, Set.of());
              long counted = Optional.ofNullable(counts.get(segment)).map(SegmentStore.Count::members).orElse(0L);
              List<String> missing = want.stream().filter(c -> !listed.contains(c)).limit(SAMPLE).toList();
              List<String> unexpected = listed.stream().filter(c -> !want.contains(c)).limit(SAMPLE).toList();
              if (!missing.isEmpty() || !unexpected.isEmpty() || counted != listed.size() || listed.size() != want.size()) {
                list.add(new SegmentDifference(segment, want.size(), listed.size(), counted, missing, unexpected));
              }
              return list;
            }));
          }
          return differences.thenApply(list -> new Report(customers, segments.size(), list.isEmpty(), List.copyOf(list)));
        }));
  }

  /** Every listed member of a segment, walking the pages as a client would. */
  CompletionStage<Set<String>> allMembers(String segment) {
    return walk(segment, Optional.empty(), new TreeSet<>());
  }

  private CompletionStage<Set<String>> walk(String segment, Optional<String> cursor, Set<String> seen) {
    return store.members(segment, cursor, 5000).thenCompose(page -> {
      seen.addAll(page.members());
      return page.nextCursor().isPresent() ? walk(segment, page.nextCursor(), seen) : CompletableFuture.completedFuture(seen);
    });
  }

  /**
   * Rebuilds the read side from the journal: pauses every slice's projection, empties the tables,
   * clears the offsets and resumes, so the projections replay every transition from the start.
   */
  public CompletionStage<Done> rebuild() {
    ProjectionManagement management = ProjectionManagement.get(system);
    CompletionStage<Done> done = CompletableFuture.completedFuture(Done.getInstance());
    for (int slice = 0; slice < slices; slice++) {
      int s = slice;
      done = done.thenCompose(d -> io.segmentd.common.Stages.on(management.pause(SegmentMembersProjection.projectionId(s)), system.executionContext()));
    }
    done = done.thenCompose(d -> store.truncate());
    for (int slice = 0; slice < slices; slice++) {
      int s = slice;
      done = done.thenCompose(d -> io.segmentd.common.Stages.on(management.clearOffset(SegmentMembersProjection.projectionId(s)), system.executionContext()));
    }
    for (int slice = 0; slice < slices; slice++) {
      int s = slice;
      done = done.thenCompose(d -> io.segmentd.common.Stages.on(management.resume(SegmentMembersProjection.projectionId(s)), system.executionContext()));
    }
    return done;
  }

}
