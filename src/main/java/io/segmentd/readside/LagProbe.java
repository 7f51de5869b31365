package io.segmentd.readside;

import com.datastax.oss.driver.api.core.uuid.Uuids;
import io.segmentd.common.Stages;
import io.segmentd.customer.Customer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.TimeBasedUUID;
import org.apache.pekko.projection.javadsl.ProjectionManagement;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds, for each slice running here, the oldest transition written after the slice's offset: the
 * first row past it in the slice's tag view, bucket by bucket (the journal's tag buckets, an hour each here) up to now. A bucket
 * that ended a while ago and held nothing past the offset is not read again while the offset
 * stays, so an idle read side costs one small read per slice and probe.
 */
public final class LagProbe {
  private static final Logger log = LoggerFactory.getLogger(LagProbe.class);
  /** Tag writes are batched by the journal for a few seconds: a bucket this long past is complete. */
  private static final Duration SETTLED = Duration.ofMinutes(1);

  private record Clean(UUID offset, long throughBucket) {}

  private final ActorSystem<?> system;
  private final CassandraSession session;
  private final ProjectionLag lag;
  private final Clock clock;
  private final String statement;
  private final long firstBucket;
  private final long bucketMillis;
  private final Map<Integer, Clean> clean = new ConcurrentHashMap<>();
  private final AtomicBoolean probing = new AtomicBoolean();

  /** Every {@code interval} (a probe still running is not overlapped). */
  public static void start(ActorSystem<?> system, CassandraSession session, ProjectionLag lag, Clock clock, Duration interval) {
    LagProbe probe = new LagProbe(system, session, lag, clock);
    system.scheduler().scheduleAtFixedRate(interval, interval, probe::probe, system.executionContext());
  }

  LagProbe(ActorSystem<?> system, CassandraSession session, ProjectionLag lag, Clock clock) {
    this.system = system;
    this.session = session;
    this.lag = lag;
    this.clock = clock;
    var config = system.settings().config();
    this.statement = "SELECT timestamp FROM " + config.getString("pekko.persistence.cassandra.journal.keyspace") + "."
        + config.getString("pekko.persistence.cassandra.events-by-tag.table")
        + " WHERE tag_name = ? AND timebucket = ? AND timestamp > ? LIMIT 1";
    this.bucketMillis = switch (config.getString("pekko.persistence.cassandra.events-by-tag.bucket-size")) {
      case "Day" -> Duration.ofDays(1).toMillis();
      case "Hour" -> Duration.ofHours(1).toMillis();
      case "Minute" -> Duration.ofMinutes(1).toMillis();
      default -> Duration.ofSeconds(1).toMillis();
    };
    this.firstBucket = LocalDateTime.parse(config.getString("pekko.persistence.cassandra.events-by-tag.first-time-bucket"),
        DateTimeFormatter.ofPattern("yyyyMMdd'T'HH:mm")).toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  void probe() {
    if (!probing.compareAndSet(false, true)) return;
    CompletionStage<Void> all = CompletableFuture.completedFuture(null);
    for (int slice : lag.running()) {
      all = all.thenCompose(v -> probe(slice).exceptionally(e -> {
        log.debug("lag probe of slice {} failed: {}", slice, e.toString());
        return null;
      }));
    }
    all.whenComplete((v, e) -> probing.set(false));
  }

  private CompletionStage<Void> probe(int slice) {
    return offset(slice).thenCompose(offset -> {
      long now = clock.millis();
      Clean known = clean.get(slice);
      long from = bucketOf(Uuids.unixTimestamp(offset));
      if (known != null && known.offset().equals(offset)) from = Math.max(from, known.throughBucket() + bucketMillis);
      return firstAfter(slice, offset, from, bucketOf(now), now).thenAccept(found -> {
        lag.pending(slice, offset, found.map(uuid -> Instant.ofEpochMilli(Uuids.unixTimestamp(uuid))).orElse(null));
      });
    });
  }

  /** The offset applied here, or (before the first group here) the one the projection stored. */
  private CompletionStage<UUID> offset(int slice) {
    Optional<UUID> here = lag.offset(slice);
    if (here.isPresent()) return CompletableFuture.completedFuture(here.get());
    return Stages.on(ProjectionManagement.get(system).<org.apache.pekko.persistence.query.Offset>getOffset(
            SegmentMembersProjection.projectionId(slice)), system.executionContext())
        .thenApply(stored -> stored.filter(o -> o instanceof TimeBasedUUID).map(o -> ((TimeBasedUUID) o).value())
            .orElseGet(() -> Uuids.startOf(firstBucket)));
  }

  private CompletionStage<Optional<UUID>> firstAfter(int slice, UUID offset, long bucket, long lastBucket, long now) {
    if (bucket > lastBucket) return CompletableFuture.completedFuture(Optional.empty());
    return Stages.on(session.selectOne(statement, Customer.TAG_PREFIX + slice, bucket, offset), system.executionContext())
        .thenCompose(row -> {
          if (row.isPresent()) return CompletableFuture.completedFuture(Optional.of(row.get().getUuid("timestamp")));
          if (bucket + bucketMillis < now - SETTLED.toMillis()) clean.put(slice, new Clean(offset, bucket));
          return firstAfter(slice, offset, bucket + bucketMillis, lastBucket, now);
        });
  }

  private long bucketOf(long millis) {
    return millis - Math.floorMod(millis, bucketMillis);
  }
}
