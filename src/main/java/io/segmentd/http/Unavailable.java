package io.segmentd.http;

/** Answered 503 with Retry-After: the request can succeed later, repeated as it was. {@code error} names the condition. */
public class Unavailable extends RuntimeException {
  private final String error;

  public Unavailable(String error, String detail) {
    super(detail, null, false, false);
    this.error = error;
  }

  public String error() {
    return error;
  }
}
