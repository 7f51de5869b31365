package io.segmentd.insights;

import com.typesafe.config.Config;
import io.segmentd.http.ApiError;
import io.segmentd.http.Auth;
import io.segmentd.http.InvalidRequest;
import io.segmentd.http.JsonSupport;
import io.segmentd.http.Parameters;
import io.segmentd.query.SegmentDirectory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The marketer's questions (read token): {@code GET /v1/insights/journey?from=&to=[&segment=][&horizon=]}:
 * flows between journey stages, conversion within a horizon, time in each stage, stalls and weekly cohorts;
 * {@code GET /v1/insights/segments/{id}/profile}: what a segment's members share compared with everyone;
 * {@code GET /v1/insights/propensity/{target}[?top=N]}: the prospects most likely to enter a segment
 * (a model trained by {@code POST /v1/insights/propensity/{target}/train}, admin), and
 * {@code GET /v1/customers/{id}/propensity[?target=]}: one customer's probability and the features behind it.
 */
public final class InsightsRoutes extends AllDirectives {
  private final JourneyTransitions journey;
  private final SegmentProfiles profiles;
  private final Propensities propensities;
  private final org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding sharding;
  private final SegmentDirectory directory;
  private final Auth auth;
  private final Clock clock;
  private final Settings settings;
  private final Executor executor;

  /** {@code segmentd.insights}. */
  public record Settings(Duration journeyHorizon, Duration journeyPeriod, int profileSampleSize, int profileMinMembers,
                         int profileParallelism, String propensityTarget, Duration askTimeout) {
    public static Settings fromConfig(Config insights, Duration askTimeout) {
      return new Settings(insights.getDuration("journey.horizon"), insights.getDuration("journey.period"),
          insights.getInt("profile.sample-size"), insights.getInt("profile.min-members"), insights.getInt("profile.parallelism"),
          insights.getString("propensity.default-target"), askTimeout);
    }
  }

  public InsightsRoutes(JourneyTransitions journey, SegmentProfiles profiles, Propensities propensities,
                        org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding sharding, SegmentDirectory directory, Auth auth,
                        Clock clock, Settings settings, Executor executor) {
    this.journey = journey;
    this.profiles = profiles;
    this.propensities = propensities;
    this.sharding = sharding;
    this.directory = directory;
    this.auth = auth;
    this.clock = clock;
    this.settings = settings;
    this.executor = executor;
  }

  public Route routes() {
    return pathPrefix("v1", () -> concat(
        pathPrefix("insights", () -> concat(
            get(() -> auth.withReadToken(() -> concat(
                path("journey", () -> parameterOptional("from", from -> parameterOptional("to", to -> parameterOptional("segment", segment ->
                    parameterOptional("horizon", horizon -> parameterOptional("source", source ->
                        journey(from, to, segment, horizon, source.orElse("transitions")))))))),
                pathPrefix("segments", () -> pathPrefix(PathMatchers.segment(), id -> path("profile", () -> profile(id)))),
                pathPrefix("propensity", () -> path(PathMatchers.segment(), target -> parameterOptional("top", top ->
                    top(target, top.map(InsightsRoutes::count).orElse(100)))))))),
            post(() -> auth.withAdminToken(() -> pathPrefix("propensity", () -> pathPrefix(PathMatchers.segment(), target ->
                path("train", () -> train(target)))))))),
        pathPrefix("customers", () -> pathPrefix(PathMatchers.segment(), id -> path("propensity", () -> get(() -> auth.withReadToken(() ->
            parameterOptional("target", target -> customerScore(id, target.orElse(settings.propensityTarget()))))))))));
  }

  private static int count(String text) {
    try {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= 100_000) return n;
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new InvalidRequest("invalid_parameter", "top '" + text + "' is not a count from 1 to 100000");
  }

  private Route unknownSegment(String id) {
    return complete(StatusCodes.NOT_FOUND, new ApiError("not_found", "no segment '" + id + "'; GET /v1/segments lists them"), JsonSupport.json());
  }

  private Route noModel(String target) {
    return complete(StatusCodes.NOT_FOUND, new ApiError("not_found", "no propensity model for '" + target
        + "' yet; POST /v1/insights/propensity/" + target + "/train trains one"), JsonSupport.json());
  }

  private Route top(String target, int n) {
    if (directory.readSideKey(target).isEmpty()) return unknownSegment(target);
    return onSuccess(propensities.top(target, n), top -> top.<Route>map(t -> complete(StatusCodes.OK, t, JsonSupport.json()))
        .orElseGet(() -> noModel(target)));
  }

  /** Starts a training in the background: 202 at once (also when one is under way already). */
  private Route train(String target) {
    if (directory.readSideKey(target).isEmpty()) return unknownSegment(target);
    boolean started = propensities.train(target).isPresent();
    return complete(StatusCodes.ACCEPTED, java.util.Map.of("target", target, "training", true, "started", started), JsonSupport.json());
  }

  private Route customerScore(String requested, String target) {
    if (directory.readSideKey(target).isEmpty()) return unknownSegment(target);
    return onSuccess(sharding.entityRefFor(io.segmentd.customer.Customer.ENTITY_KEY, requested)
            .<io.segmentd.customer.Customer.Identity>askWithStatus(io.segmentd.customer.Customer.Resolve::new, settings.askTimeout()),
        identity -> onSuccess(propensities.score(identity.customerId(), target), score -> score
            .<Route>map(s -> complete(StatusCodes.OK, s, JsonSupport.json()))
            .orElseGet(() -> complete(StatusCodes.NOT_FOUND, new ApiError("not_found", "no model for '" + target + "' yet, or no events recorded for customer '"
                + requested + "'"), JsonSupport.json()))));
  }

  /** What the segment's members share compared with everyone. */
  private Route profile(String id) {
    Optional<String> key = directory.readSideKey(id);
    if (key.isEmpty()) {
      return unknownSegment(id);
    }
    return onSuccess(profiles.profile(id, key.get()), report -> complete(StatusCodes.OK, report, JsonSupport.json()));
  }

  private Route journey(Optional<String> fromText, Optional<String> toText, Optional<String> segment, Optional<String> horizonText,
                        String source) {
    if (!source.equals("transitions") && !source.equals("journals")) {
      throw new InvalidRequest("invalid_parameter", "source '" + source + "' is neither transitions nor journals");
    }
    Instant to = toText.map(t -> Parameters.instant("to", t)).orElseGet(clock::instant);
    Instant from = fromText.map(t -> Parameters.instant("from", t)).orElseGet(() -> to.minus(settings.journeyPeriod()));
    if (!from.isBefore(to)) throw new InvalidRequest("invalid_parameter", "from " + from + " is not before to " + to);
    Duration horizon = horizonText.map(InsightsRoutes::duration).orElse(settings.journeyHorizon());
    Optional<String> key = segment.flatMap(directory::readSideKey);
    if (segment.isPresent() && key.isEmpty()) {
      return unknownSegment(segment.get());
    }
    CompletionStage<Optional<java.util.Set<String>>> members = key.isEmpty() ? CompletableFuture.completedFuture(Optional.empty())
        : io.segmentd.common.Stages.on(journey.members(key.get()), executor).thenApply(Optional::of);
    CompletionStage<List<JourneyAnalytics.Transition>> restricted = source.equals("journals")
        // Up to now, not to: a stay begun in the period may end after it, as the recorded transitions know.
        ? members.thenCompose(only -> journey.derived(clock.instant(), only))
        : io.segmentd.common.Stages.on(journey.all(), executor).thenCombine(members, (all, only) -> only.isEmpty() ? all
            : all.stream().filter(t -> only.get().contains(t.customerId())).toList());
    CompletableFuture<JourneyAnalytics.Report> report = restricted.toCompletableFuture()
        .thenApplyAsync(list -> JourneyAnalytics.of(list, journey.stages(), from, to, horizon), executor);
    return onSuccess(report, r -> complete(StatusCodes.OK, r, JsonSupport.json()));
  }


  /** A horizon in days ({@code 30d}) or ISO-8601 ({@code P30D}). */
  static Duration duration(String text) {
    try {
      Duration d = text.matches("\\d{1,5}d") ? Duration.ofDays(Long.parseLong(text.substring(0, text.length() - 1))) : Duration.parse(text);
      if (d.isNegative() || d.isZero()) throw new InvalidRequest("invalid_parameter", "horizon '" + text + "' must be positive");
      return d;
    } catch (java.time.format.DateTimeParseException e) {
      throw new InvalidRequest("invalid_parameter", "horizon '" + text + "' is neither days (30d) nor ISO-8601 (P30D)");
    }
  }
}
