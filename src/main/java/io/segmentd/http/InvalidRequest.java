package io.segmentd.http;

import java.util.List;

/** A request that is refused as a whole, with a code, a sentence naming what is wrong, and the refused events of a batch. */
public final class InvalidRequest extends RuntimeException {
  private final String error;
  private final List<RejectedEvent> rejected;

  public InvalidRequest(String error, String detail) {
    this(error, detail, List.of());
  }

  public InvalidRequest(String error, String detail, List<RejectedEvent> rejected) {
    super(detail, null, false, false);
    this.error = error;
    this.rejected = List.copyOf(rejected);
  }

  public String error() {
    return error;
  }

  public String detail() {
    return getMessage();
  }

  public List<RejectedEvent> rejected() {
    return rejected;
  }
}
