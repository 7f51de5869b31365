package io.segmentd.http;

/** A request that is refused as a whole, with a code and a sentence naming what is wrong. */
public final class InvalidRequest extends RuntimeException {
  private final String error;

  public InvalidRequest(String error, String detail) {
    super(detail, null, false, false);
    this.error = error;
  }

  public String error() {
    return error;
  }

  public String detail() {
    return getMessage();
  }
}
