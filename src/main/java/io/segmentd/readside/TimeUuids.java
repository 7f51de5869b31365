package io.segmentd.readside;

import java.util.UUID;

/** Version-1 (time-based) UUIDs, as the Cassandra journal uses for tag offsets. */
public final class TimeUuids {
  /** 100-ns intervals between the UUID epoch (1582-10-15) and the Unix epoch. */
  private static final long UUID_EPOCH_OFFSET = 0x01b21dd213814000L;

  /** The smallest time UUID, before every offset. */
  public static final UUID MIN = new UUID(0x0000000000001000L, 0x8080808080808080L);

  private TimeUuids() {}

  static long epochMillis(UUID uuid) {
    return (uuid.timestamp() - UUID_EPOCH_OFFSET) / 10_000L;
  }
}
