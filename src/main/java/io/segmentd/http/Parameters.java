package io.segmentd.http;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;

/** Query parameters read the same way by every route. */
public final class Parameters {
  private Parameters() {}

  /** An instant given as ISO-8601 with an offset; anything else is a 400 naming the parameter. */
  public static Instant instant(String parameter, String text) {
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeException e) {
      throw new InvalidRequest("invalid_parameter", parameter + " '" + text + "' is not an ISO-8601 date-time with an offset, such as 2011-06-30T00:00:00Z");
    }
  }
}
