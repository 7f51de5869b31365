package io.segmentd.insights;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.segmentd.common.Stages;
import io.segmentd.replay.CustomerJournal;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;

/**
 * Propensity models kept by the node: trained on demand (or on a schedule) on every customer's
 * journal, stored with their version and training window, and used to score one customer now.
 * A model for a target is trained as of now minus the horizon (features) with the labels of the
 * horizon up to now; the customers it then scores are the prospects as of now, the highest kept
 * with the model.
 */
public final class Propensities {
  private final CassandraSession session;
  private final String keyspace;
  private final CustomerJournal journal;
  private final Supplier<SegmentEngine> engine;
  private final ProfileSettings profileSettings;
  private final Clock clock;
  private final Executor executor;
  private final Settings settings;
  private final ObjectMapper json;
  private final Map<String, Stored> cache = new ConcurrentHashMap<>();
  private final Set<String> training = ConcurrentHashMap.newKeySet();

  /** {@code segmentd.insights.propensity}. */
  public record Settings(Duration horizon, int epochs, int keepTop, int parallelism, int contributions) {
    public static Settings fromConfig(com.typesafe.config.Config propensity) {
      return new Settings(propensity.getDuration("horizon"), propensity.getInt("epochs"), propensity.getInt("keep-top"),
          propensity.getInt("parallelism"), propensity.getInt("contributions"));
    }
  }

  /** A prospect and its probability of entering the target. */
  public record Ranked(String customerId, double probability) {}

  /** A model as stored: what it was trained on, and whom it ranked highest then. */
  public record ModelInfo(String target, int version, Instant trainedAt, Instant featuresAsOf, Instant labelsUntil, int horizonDays,
                          int examples, int positives, int scored) {}

  private record Stored(ModelInfo info, PropensityModel model, List<Ranked> top) {}

  /** A customer's score: {@code inTarget} when it is a member already (its probability is then of no use). */
  public record CustomerScore(String customerId, String target, boolean inTarget, Double probability,
                              List<PropensityModel.Contribution> because, ModelInfo model) {}

  public record Top(ModelInfo model, boolean training, List<Ranked> customers) {}

  public Propensities(CassandraSession session, String keyspace, CustomerJournal journal, Supplier<SegmentEngine> engine,
                      ProfileSettings profileSettings, Clock clock, Executor executor, Settings settings, ObjectMapper json) {
    this.session = session;
    this.keyspace = keyspace;
    this.journal = journal;
    this.engine = engine;
    this.profileSettings = profileSettings;
    this.clock = clock;
    this.executor = executor;
    this.settings = settings;
    this.json = json;
  }

  /** Whether a training of the target is under way. */
  public boolean training(String target) {
    return training.contains(target);
  }

  /**
   * Trains a new version for {@code target} from every customer's journal; completes when it is
   * stored. Empty when a training of the target is under way already.
   */
  public Optional<CompletionStage<ModelInfo>> train(String target) {
    if (!training.add(target)) return Optional.empty();
    Instant now = clock.instant();
    Instant featuresAsOf = now.minus(settings.horizon());
    List<PropensityFeatures.Example> examples = Collections.synchronizedList(new ArrayList<>());
    List<PropensityFeatures.Example> prospects = Collections.synchronizedList(new ArrayList<>());
    SegmentEngine current = engine.get();
    CompletionStage<ModelInfo> done = journal.customerIds().thenCompose(ids -> journal.forEach(ids, settings.parallelism(), (id, events) -> {
      List<BehaviorEvent> facts = CustomerJournal.facts(events);
      Backtest.example(id, facts, featuresAsOf, settings.horizon(), current, profileSettings, target).ifPresent(examples::add);
      List<BehaviorEvent> known = PropensityFeatures.upTo(facts, now);
      if (!known.isEmpty() && !PropensityFeatures.isIn(known, now, current, profileSettings, target)) {
        prospects.add(new PropensityFeatures.Example(id, PropensityFeatures.asOf(known, now, current, profileSettings, target), null));
      }
    })).thenCompose(v -> {
      List<PropensityFeatures.Example> sorted = new ArrayList<>(examples);
      sorted.sort(Comparator.comparing(PropensityFeatures.Example::customerId));
      PropensityModel model = PropensityModel.train(sorted, settings.epochs());
      List<Ranked> ranked = new ArrayList<>();
      synchronized (prospects) {
        for (PropensityFeatures.Example p : prospects) ranked.add(new Ranked(p.customerId(), model.probability(p.features())));
      }
      ranked.sort(Comparator.comparingDouble(Ranked::probability).reversed().thenComparing(Ranked::customerId));
      List<Ranked> top = List.copyOf(ranked.subList(0, Math.min(settings.keepTop(), ranked.size())));
      int positives = (int) sorted.stream().filter(PropensityFeatures.Example::label).count();
      return latest(target).thenCompose(previous -> {
        ModelInfo info = new ModelInfo(target, previous.map(p -> p.info().version() + 1).orElse(1), now, featuresAsOf, now,
            (int) settings.horizon().toDays(), sorted.size(), positives, ranked.size());
        return store(info, model, top).thenApply(d -> {
          cache.put(target, new Stored(info, model, top));
          return info;
        });
      });
    });
    done.whenComplete((info, failure) -> training.remove(target));
    return Optional.of(done);
  }

  /** The latest model's ranking, up to {@code n}. */
  public CompletionStage<Optional<Top>> top(String target, int n) {
    return latest(target).thenApply(stored -> stored.map(s -> new Top(s.info(), training(target),
        s.top().subList(0, Math.min(n, s.top().size())))));
  }

  /** One customer scored now with the latest model of the target (empty: no model yet, or no facts). */
  public CompletionStage<Optional<CustomerScore>> score(String customerId, String target) {
    return latest(target).thenCompose(stored -> {
      if (stored.isEmpty()) return CompletableFuture.completedFuture(Optional.<CustomerScore>empty());
      return Stages.on(journal.envelopes(customerId), executor).thenApply(envelopes -> {
        List<BehaviorEvent> facts = CustomerJournal.facts(envelopes.stream().map(EventEnvelope::event).toList());
        Instant now = clock.instant();
        List<BehaviorEvent> known = PropensityFeatures.upTo(facts, now);
        if (known.isEmpty()) return Optional.<CustomerScore>empty();
        SegmentEngine current = engine.get();
        PropensityModel.Score score = stored.get().model().score(PropensityFeatures.asOf(known, now, current, profileSettings, target),
            settings.contributions());
        boolean in = PropensityFeatures.isIn(known, now, current, profileSettings, target);
        return Optional.of(new CustomerScore(customerId, target, in, score.probability(), score.top(), stored.get().info()));
      });
    });
  }

  private CompletionStage<Optional<Stored>> latest(String target) {
    return Stages.on(session.selectOne("SELECT version, trained_at, features_as_of, labels_until, horizon_days, examples, positives, scored, "
        + "model, top FROM " + keyspace + ".propensity_models WHERE target = ? LIMIT 1", target), executor).thenApply(row -> row.map(r -> {
          Stored cached = cache.get(target);
          int version = r.getInt("version");
          if (cached != null && cached.info().version() == version) return cached;
          ModelInfo info = new ModelInfo(target, version, r.getInstant("trained_at"), r.getInstant("features_as_of"), r.getInstant("labels_until"),
              r.getInt("horizon_days"), r.getInt("examples"), r.getInt("positives"), r.getInt("scored"));
          ByteBuffer blob = r.getByteBuffer("model");
          byte[] bytes = new byte[blob.remaining()];
          blob.get(bytes);
          List<Ranked> top;
          try {
            top = json.readValue(r.getString("top"), new TypeReference<List<Ranked>>() {});
          } catch (java.io.IOException e) {
            throw new IllegalStateException("the stored ranking of " + target + " v" + version + " is unreadable", e);
          }
          Stored stored = new Stored(info, PropensityModel.fromBytes(bytes), top);
          cache.put(target, stored);
          return stored;
        }));
  }

  private CompletionStage<org.apache.pekko.Done> store(ModelInfo info, PropensityModel model, List<Ranked> top) {
    String ranking;
    try {
      ranking = json.writeValueAsString(top);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return Stages.on(session.executeWrite("INSERT INTO " + keyspace + ".propensity_models (target, version, trained_at, features_as_of, "
        + "labels_until, horizon_days, examples, positives, scored, model, top) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", info.target(),
        info.version(), info.trainedAt(), info.featuresAsOf(), info.labelsUntil(), info.horizonDays(), info.examples(), info.positives(),
        info.scored(), ByteBuffer.wrap(model.toBytes()), ranking), executor);
  }
}
