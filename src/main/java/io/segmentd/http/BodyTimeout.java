package io.segmentd.http;

/** A request body that did not arrive in time: answered 408, nothing of it read or recorded. */
public final class BodyTimeout extends RuntimeException {
  public BodyTimeout(String detail) {
    super(detail, null, false, false);
  }
}
