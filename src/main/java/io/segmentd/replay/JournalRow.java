package io.segmentd.replay;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * One row of pekko-persistence-cassandra's {@code messages} table, as a replay reads it: the
 * serialized event and who wrote it. {@code timestamp} is the row's timeuuid (journal write time).
 */
public record JournalRow(String persistenceId, long partitionNr, long sequenceNr, UUID timestamp, String writerUuid,
                         int serId, String serManifest, ByteBuffer event) {

  /** The journal write time in epoch milliseconds (from the row's version-1 timeuuid). */
  public long writtenAtMillis() {
    return epochMillis(timestamp);
  }

  /** Epoch milliseconds of a version-1 timeuuid (the journal's and the projections' offsets). */
  public static long epochMillis(UUID timeuuid) {
    return (timeuuid.timestamp() - 0x01b21dd213814000L) / 10_000;
  }
}
