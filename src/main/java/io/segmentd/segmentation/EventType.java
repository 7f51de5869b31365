package io.segmentd.segmentation;

import java.util.Locale;
import java.util.Optional;

/** The call types of the Segment Tracking API. */
public enum EventType {
  TRACK, IDENTIFY, PAGE, SCREEN, GROUP, ALIAS;

  public static Optional<EventType> parse(String wire) {
    if (wire == null) return Optional.empty();
    try {
      return Optional.of(valueOf(wire.toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Calls that are the customer doing something, as opposed to describing who they are. */
  public boolean isInteraction() {
    return this == TRACK || this == PAGE || this == SCREEN;
  }
}
