package io.segmentd.insights;

import io.segmentd.common.Stages;
import io.segmentd.customer.Customer;
import io.segmentd.query.SegmentDirectory;
import io.segmentd.readside.SegmentStore;
import io.segmentd.replay.CustomerJournal;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;

/**
 * Reads what {@link SegmentProfile} compares: the attributes of a segment's members and of
 * everyone, each customer's from a fold of its journal (so traits and event names, which the
 * profile does not keep, count too). Up to {@code sampleSize} of each: past that a uniform sample
 * (members by whole hash buckets, everyone by a random token range of the persistence ids).
 */
public final class SegmentProfiles {
  private final SegmentStore store;
  private final CustomerJournal journal;
  private final CassandraSession session;
  private final String keyspace;
  private final SegmentDirectory directory;
  private final java.util.function.Supplier<SegmentEngine> engine;
  private final ProfileSettings profileSettings;
  private final Clock clock;
  private final Executor executor;
  private final int sampleSize;
  private final int minMembers;
  private final int parallelism;
  private final Random random = new Random();

  public SegmentProfiles(SegmentStore store, CustomerJournal journal, CassandraSession session, String keyspace, SegmentDirectory directory,
                         java.util.function.Supplier<SegmentEngine> engine, ProfileSettings profileSettings, Clock clock, Executor executor,
                         int sampleSize, int minMembers, int parallelism) {
    this.store = store;
    this.journal = journal;
    this.session = session;
    this.keyspace = keyspace;
    this.directory = directory;
    this.engine = engine;
    this.profileSettings = profileSettings;
    this.clock = clock;
    this.executor = executor;
    this.sampleSize = sampleSize;
    this.minMembers = minMembers;
    this.parallelism = parallelism;
  }

  public CompletionStage<SegmentProfile.Report> profile(String segment, String readSideKey) {
    Instant now = clock.instant();
    CompletableFuture<Long> memberCount = Stages.on(store.counts(), executor)
        .thenApply(counts -> counts.containsKey(readSideKey) ? counts.get(readSideKey).members() : 0L);
    CompletableFuture<List<String>> members = memberCount.thenCompose(count -> memberSample(readSideKey, count));
    CompletableFuture<List<String>> everyone = populationSample();
    CompletableFuture<List<Set<String>>> memberAttributes = members.thenCompose(ids -> attributes(ids, now));
    CompletableFuture<List<Set<String>>> everyoneAttributes = everyone.thenCompose(ids -> attributes(ids, now));
    CompletableFuture<Long> populationCount = everyone.thenCombine(journeyTotal(), (ids, total) -> ids.size() < sampleSize ? -1L : total);
    return memberAttributes.thenCompose(m -> everyoneAttributes.thenCombine(populationCount, (e, total) -> {
      String own = "segment:" + segment;
      List<Set<String>> membersWithout = m.stream().map(a -> without(a, own)).toList();
      List<Set<String>> everyoneWithout = e.stream().map(a -> without(a, own)).toList();
      long population = total < 0 ? everyoneWithout.size() : Math.max(total, everyoneWithout.size());
      return SegmentProfile.of(segment, membersWithout, Math.max(memberCount.join(), membersWithout.size()), everyoneWithout, population,
          minMembers);
    }));
  }

  private static Set<String> without(Set<String> attributes, String own) {
    if (!attributes.contains(own)) return attributes;
    Set<String> copy = new java.util.TreeSet<>(attributes);
    copy.remove(own);
    return copy;
  }

  /** Every member when there are at most sampleSize, else whole random buckets until there are enough, then a uniform draw. */
  private CompletableFuture<List<String>> memberSample(String key, long count) {
    List<Integer> buckets = new ArrayList<>();
    for (int b = 0; b < store.buckets(); b++) buckets.add(b);
    if (count > sampleSize) Collections.shuffle(buckets, random);
    List<String> collected = Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> read = CompletableFuture.completedFuture(null);
    for (int bucket : buckets) {
      read = read.thenCompose(v -> count > sampleSize && collected.size() >= sampleSize ? CompletableFuture.completedFuture(null)
          : Stages.on(store.bucketMembers(key, bucket), executor).thenAccept(collected::addAll));
    }
    return read.thenApply(v -> {
      List<String> all = new ArrayList<>(collected);
      if (all.size() <= sampleSize) return all;
      Collections.shuffle(all, random);
      return List.copyOf(all.subList(0, sampleSize));
    });
  }

  /** Up to sampleSize customer ids from a random point of the persistence ids' token ring, wrapping once. */
  private CompletableFuture<List<String>> populationSample() {
    long start = random.nextLong();
    String cql = "SELECT persistence_id FROM " + keyspace + ".all_persistence_ids WHERE token(persistence_id) %s ? LIMIT ?";
    return Stages.on(session.selectAll(cql.formatted(">"), start, sampleSize), executor).thenCompose(first -> {
      List<String> ids = new ArrayList<>(customers(first));
      if (first.size() >= sampleSize) return CompletableFuture.completedFuture(ids);
      return Stages.on(session.selectAll(cql.formatted("<="), start, sampleSize - first.size()), executor).thenApply(rest -> {
        ids.addAll(customers(rest));
        return ids;
      });
    });
  }

  private static List<String> customers(List<com.datastax.oss.driver.api.core.cql.Row> rows) {
    String prefix = Customer.ENTITY_KEY.name() + "|";
    return rows.stream().map(r -> r.getString("persistence_id")).filter(id -> id.startsWith(prefix))
        .map(id -> id.substring(prefix.length())).toList();
  }

  /** Everyone active: each customer with a fact is in exactly one journey stage. */
  private CompletableFuture<Long> journeyTotal() {
    return Stages.on(store.counts(), executor).thenApply(counts -> counts.entrySet().stream()
        .filter(e -> e.getKey().startsWith("journey:")).mapToLong(e -> e.getValue().members()).sum());
  }

  /** Each customer's attributes from its journal; customers with no fact of their own left out. */
  private CompletableFuture<List<Set<String>>> attributes(List<String> ids, Instant now) {
    List<Set<String>> out = Collections.synchronizedList(new ArrayList<>());
    return journal.forEach(ids, parallelism, (id, events) -> {
      List<BehaviorEvent> facts = CustomerJournal.facts(events);
      if (facts.isEmpty()) return;
      SegmentEngine current = engine.get();
      Profile profile = Profile.EMPTY.plus(facts, profileSettings);
      out.add(CustomerAttributes.of(facts, directory.shown(current.evaluate(profile, now)), current.rfm(profile, now).orElse(null)));
    }).toCompletableFuture().thenApply(done -> List.copyOf(out));
  }
}
