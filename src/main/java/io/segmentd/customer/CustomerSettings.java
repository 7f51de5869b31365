package io.segmentd.customer;

import com.typesafe.config.Config;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.time.Duration;

/**
 * Everything a Customer entity is configured with, read once from {@code segmentd}.
 *
 * @param rememberedMessageIds how many recent message ids are kept to acknowledge retries
 *     without counting them again
 * @param snapshotEvery events between snapshots
 * @param tagSlices number of slices transitions are tagged with for the read side
 * @param scheduleRetryMinBackoff first delay before a failed schedule write is retried (doubling)
 * @param scheduleRetryMaxBackoff longest delay between retries; they go on while the entity lives
 */
public record CustomerSettings(
    ProfileSettings profile,
    SegmentEngine engine,
    int rememberedMessageIds,
    int snapshotEvery,
    int keepSnapshots,
    int tagSlices,
    Duration scheduleRetryMinBackoff,
    Duration scheduleRetryMaxBackoff) {

  public static CustomerSettings fromConfig(Config segmentd) {
    Config customer = segmentd.getConfig("customer");
    return new CustomerSettings(
        ProfileSettings.fromConfig(segmentd.getConfig("profile")),
        SegmentEngine.fromConfig(segmentd.getConfig("segments")),
        customer.getInt("remembered-message-ids"),
        customer.getInt("snapshot-every"),
        customer.getInt("keep-snapshots"),
        customer.getInt("tag-slices"),
        customer.getDuration("schedule-retry.min-backoff"),
        customer.getDuration("schedule-retry.max-backoff"));
  }
}
