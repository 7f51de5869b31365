package io.segmentd.segmentation;

import java.util.Locale;
import java.util.Optional;

/** The call types of the Segment Tracking API. */
public enum EventType {
  TRACK, IDENTIFY, PAGE, SCREEN, GROUP, ALIAS;

  /** The type a Segment call names, exactly as the spec spells it (lower case). */
  public static Optional<EventType> parse(String wire) {
    if (wire == null) return Optional.empty();
    for (EventType type : values()) {
      if (type.wireName().equals(wire)) return Optional.of(type);
    }
    return Optional.empty();
  }

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Calls that are the customer doing something, as opposed to describing who they are. */
  public boolean isInteraction() {
    return this == TRACK || this == PAGE || this == SCREEN;
  }
}
