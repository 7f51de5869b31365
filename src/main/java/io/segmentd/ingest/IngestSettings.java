package io.segmentd.ingest;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;

/** Limits on what ingestion accepts; read from {@code segmentd.ingest}. */
public record IngestSettings(
    long maxEventBytes,
    long maxRequestBytes,
    int maxIdLength,
    int maxNameLength,
    int maxPropertyKeyLength,
    int maxProperties,
    int maxDepth,
    Duration maxFutureSkew,
    Instant earliestEventTime,
    Duration clockSkewTolerance,
    Duration bodyTimeout) {

  public static IngestSettings fromConfig(Config ingest) {
    return new IngestSettings(
        ingest.getBytes("max-event-bytes"),
        ingest.getBytes("max-request-bytes"),
        ingest.getInt("max-id-length"),
        ingest.getInt("max-name-length"),
        ingest.getInt("max-property-key-length"),
        ingest.getInt("max-properties"),
        ingest.getInt("max-depth"),
        ingest.getDuration("max-future-skew"),
        Instant.parse(ingest.getString("earliest-event-time")),
        ingest.getDuration("clock-skew-tolerance"),
        ingest.getDuration("body-timeout"));
  }
}
