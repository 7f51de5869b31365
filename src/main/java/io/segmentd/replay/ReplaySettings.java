package io.segmentd.replay;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code segmentd.replay}, and the journal's partition size replays must know. */
public record ReplaySettings(int tokenRanges, int parallelism, int pageSize, int maxWritesInFlight, int writeBatchRows, Duration leaseTtl,
                             Duration leaseGrace, int samples, long targetPartitionSize) {

  /** @param config the whole configuration (segmentd and pekko) */
  public static ReplaySettings fromConfig(Config config) {
    Config replay = config.getConfig("segmentd.replay");
    return new ReplaySettings(replay.getInt("token-ranges"), replay.getInt("parallelism"), replay.getInt("page-size"),
        replay.getInt("max-writes-in-flight"), replay.getInt("write-batch-rows"), replay.getDuration("lease-ttl"), replay.getDuration("lease-grace"),
        replay.getInt("samples"), config.getLong("pekko.persistence.cassandra.journal.target-partition-size"));
  }
}
