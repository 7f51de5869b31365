package io.segmentd.insights;

import com.typesafe.config.Config;
import io.segmentd.http.Auth;
import io.segmentd.http.InvalidRequest;
import io.segmentd.http.JsonSupport;
import io.segmentd.http.Parameters;
import io.segmentd.query.SegmentDirectory;
import io.segmentd.readside.SegmentStore;
import io.segmentd.segmentation.SegmentId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The dashboard's overview (read token): {@code GET /v1/insights/sizes?from=&to=[&points=][&family=]}:
 * each segment's size at evenly spaced instants; {@code GET /v1/insights/rfm}: the RFM map's named
 * regions of the R x FM grid with their member counts.
 */
public final class OverviewRoutes extends AllDirectives {
  /** A named region of the R x FM grid (both ranges inclusive) and its segment's member count. */
  public record RfmCell(String segment, String name, List<Integer> r, List<Integer> fm, long count) {}

  public record RfmGrid(List<RfmCell> cells) {}

  private static final int MAX_POINTS = 400;

  private final SizeTrends trends;
  private final SegmentStore store;
  private final SegmentDirectory directory;
  private final Config rfmMap;
  private final Auth auth;
  private final Clock clock;
  private final Duration defaultPeriod;
  private final Executor executor;

  /** {@code purchasing}: segmentd.segments.purchasing; {@code defaultPeriod}: without {@code from}, this long before {@code to}. */
  public OverviewRoutes(SizeTrends trends, SegmentStore store, SegmentDirectory directory, Config purchasing, Auth auth, Clock clock,
                        Duration defaultPeriod, Executor executor) {
    this.trends = trends;
    this.store = store;
    this.directory = directory;
    this.rfmMap = purchasing.getConfig("rfm");
    this.auth = auth;
    this.clock = clock;
    this.defaultPeriod = defaultPeriod;
    this.executor = executor;
  }

  public Route routes() {
    return pathPrefix("v1", () -> pathPrefix("insights", () -> get(() -> concat(
        path("sizes", () -> auth.withReadToken(() -> parameterOptional("from", from -> parameterOptional("to", to ->
            parameterOptional("points", points -> parameterOptional("family", family -> sizes(from, to, points, family))))))),
        path("rfm", () -> auth.withReadToken(this::rfm))))));
  }

  private Route sizes(Optional<String> fromText, Optional<String> toText, Optional<String> pointsText, Optional<String> family) {
    Instant to = toText.map(t -> Parameters.instant("to", t)).orElseGet(clock::instant);
    Instant from = fromText.map(t -> Parameters.instant("from", t)).orElseGet(() -> to.minus(defaultPeriod));
    if (!from.isBefore(to)) throw new InvalidRequest("invalid_parameter", "from " + from + " is not before to " + to);
    int points = pointsText.map(OverviewRoutes::points).orElse(30);
    List<Map.Entry<String, String>> segments = new ArrayList<>();
    for (String id : directory.ids()) {
      String f = SegmentId.family(id);
      if (family.isEmpty() || family.get().equals(f)) segments.add(Map.entry(id, f));
    }
    if (family.isPresent() && segments.isEmpty()) {
      throw new InvalidRequest("invalid_parameter", "no segment of family '" + family.get() + "'; GET /v1/segments lists them");
    }
    var trend = io.segmentd.common.Stages.on(trends.trend(from, to, points, segments, id -> directory.readSideKey(id).orElseThrow()), executor);
    return onSuccess(trend, t -> complete(StatusCodes.OK, t, JsonSupport.json()));
  }

  private static int points(String text) {
    try {
      int n = Integer.parseInt(text);
      if (n >= 2 && n <= MAX_POINTS) return n;
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new InvalidRequest("invalid_parameter", "points '" + text + "' is not a number from 2 to " + MAX_POINTS);
  }

  private Route rfm() {
    return onSuccess(io.segmentd.common.Stages.on(store.counts(), executor), counts -> {
      List<RfmCell> cells = new ArrayList<>();
      for (Config cell : rfmMap.getConfigList("map")) {
        String segment = "purchasing:" + cell.getString("name");
        long count = directory.readSideKey(segment).map(counts::get).map(SegmentStore.Count::members).orElse(0L);
        cells.add(new RfmCell(segment, cell.getString("name"), cell.getIntList("r"), cell.getIntList("fm"), count));
      }
      return complete(StatusCodes.OK, new RfmGrid(cells), JsonSupport.json());
    });
  }
}
