package io.segmentd.customer;

import com.carrotsearch.hppc.LongHashSet;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.segmentd.segmentation.Fact;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The message ids a customer recorded within the retry window, so that a retry is acknowledged
 * without being counted again, whatever the customer's volume: 64-bit fingerprints (8 bytes an id,
 * not the id's characters), kept by arrival time and not by count.
 *
 * <p>Two generations: ids arrive in {@code current}, which opens at {@code currentSince}; once a
 * window has passed since then, the next arrival moves it to {@code previous} and opens a new one,
 * dropping the previous generation. An id is therefore remembered for at least one window and less
 * than two. A generation that would hold more than the configured maximum opens a new one early:
 * the bound on memory wins over the window for a customer sending that many ids within it (the
 * oldest are forgotten first).
 *
 * <p>Mutable, for an entity's state only (8 bytes an id would be copied per batch otherwise): the
 * snapshot gets a {@link #copy} (see {@code Customer.snapshotAdapter}). Two distinct ids share a
 * fingerprint with a probability of about n²/2⁶⁵ among n remembered ids (10⁻¹⁶ for 50 ids).
 */
public final class RecentMessages {
  private Instant currentSince;
  private LongHashSet current;
  private LongHashSet previous;

  public RecentMessages() {
    this(null, new long[0], new long[0]);
  }

  @JsonCreator
  public RecentMessages(
      @JsonProperty("currentSince") Instant currentSince,
      @JsonProperty("current") long[] current,
      @JsonProperty("previous") long[] previous) {
    this.currentSince = currentSince;
    this.current = LongHashSet.from(current == null ? new long[0] : current);
    this.previous = LongHashSet.from(previous == null ? new long[0] : previous);
  }

  static long fingerprint(String messageId) {
    return Fact.messageKey(messageId);
  }

  public boolean seen(String messageId) {
    long fingerprint = fingerprint(messageId);
    return current.contains(fingerprint) || previous.contains(fingerprint);
  }

  /** Remembers the ids of a batch recorded at {@code recordedAt}. */
  void record(List<String> messageIds, Instant recordedAt, Duration window, int maxIds) {
    if (currentSince == null) {
      currentSince = recordedAt;
    } else if (!recordedAt.isBefore(currentSince.plus(window.multipliedBy(2)))) {
      previous = new LongHashSet();
      current = new LongHashSet();
      currentSince = recordedAt;
    } else if (!recordedAt.isBefore(currentSince.plus(window)) || current.size() + messageIds.size() > maxIds) {
      previous = current;
      current = new LongHashSet();
      currentSince = recordedAt;
    }
    for (String id : messageIds) current.add(fingerprint(id));
  }

  public int size() {
    return current.size() + previous.size();
  }

  RecentMessages copy() {
    return new RecentMessages(currentSince, current.toArray(), previous.toArray());
  }

  public Instant getCurrentSince() {
    return currentSince;
  }

  public long[] getCurrent() {
    return current.toArray();
  }

  public long[] getPrevious() {
    return previous.toArray();
  }
}
