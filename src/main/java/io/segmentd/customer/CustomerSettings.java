package io.segmentd.customer;

import com.typesafe.config.Config;
import io.segmentd.segmentation.ProfileSettings;
import io.segmentd.segmentation.SegmentEngine;
import java.time.Duration;

/**
 * Everything a Customer entity is configured with, read once from {@code segmentd}.
 *
 * @param engines the segment definitions, fixed from configuration or live (stored custom segments)
 * @param retryWindow how long a message id is remembered at least, so a retry is acknowledged
 *     without being counted again
 * @param maxRememberedIds at most this many ids per generation of the window (memory bound; also
 *     the most events one request may carry for one customer)
 * @param maxCatchUpSteps changes time alone caused that one command persists at most; a longer
 *     catch-up (after an outage) goes on in the next command
 * @param snapshotEvery events between snapshots
 * @param tagSlices number of slices transitions are tagged with for the read side
 * @param scheduleRetryMinBackoff first delay before a failed schedule write is retried (doubling)
 * @param scheduleRetryMaxBackoff longest delay between retries; they go on while the entity lives
 * @param factsPerJournalEvent facts one journal event carries at most (a merged history is written in several)
 * @param maxAbsorbedEvents the longest history of another customer a merge takes over (a longer one is refused)
 */
public record CustomerSettings(
    ProfileSettings profile,
    EngineSource engines,
    Duration retryWindow,
    int maxRememberedIds,
    int maxCatchUpSteps,
    int snapshotEvery,
    int keepSnapshots,
    int tagSlices,
    Duration scheduleRetryMinBackoff,
    Duration scheduleRetryMaxBackoff,
    int factsPerJournalEvent,
    int maxAbsorbedEvents) {

  public static CustomerSettings fromConfig(Config segmentd) {
    Config customer = segmentd.getConfig("customer");
    SegmentEngine engine = SegmentEngine.fromConfig(segmentd.getConfig("segments"));
    return new CustomerSettings(
        ProfileSettings.fromConfig(segmentd.getConfig("profile"), engine),
        EngineSource.fixed(engine),
        customer.getDuration("retry-window"),
        customer.getInt("max-remembered-ids"),
        customer.getInt("max-catch-up-steps"),
        customer.getInt("snapshot-every"),
        customer.getInt("keep-snapshots"),
        customer.getInt("tag-slices"),
        customer.getDuration("schedule-retry.min-backoff"),
        customer.getDuration("schedule-retry.max-backoff"),
        customer.getInt("facts-per-journal-event"),
        segmentd.getInt("identity.max-merged-events"));
  }

  /** The definitions to evaluate with now (they may change while the node runs: stored custom segments). */
  public SegmentEngine engine() {
    return engines.current();
  }

  /** The same settings, evaluating with what {@code source} says at each moment. */
  public CustomerSettings withEngines(EngineSource source) {
    return new CustomerSettings(profile, source, retryWindow, maxRememberedIds, maxCatchUpSteps, snapshotEvery, keepSnapshots, tagSlices,
        scheduleRetryMinBackoff, scheduleRetryMaxBackoff, factsPerJournalEvent, maxAbsorbedEvents);
  }
}
