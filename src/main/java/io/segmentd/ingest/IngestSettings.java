package io.segmentd.ingest;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;

/** Limits on what ingestion accepts; read from {@code segmentd.ingest}. */
public record IngestSettings(
    long maxEventBytes,
    long maxRequestBytes,
    int maxCustomerIdLength,
    Duration maxFutureSkew,
    Instant earliestEventTime) {

  public static IngestSettings fromConfig(Config ingest) {
    return new IngestSettings(
        ingest.getBytes("max-event-bytes"),
        ingest.getBytes("max-request-bytes"),
        ingest.getInt("max-customer-id-length"),
        ingest.getDuration("max-future-skew"),
        Instant.parse(ingest.getString("earliest-event-time")));
  }
}
