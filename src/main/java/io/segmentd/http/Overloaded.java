package io.segmentd.http;

import java.util.concurrent.TimeoutException;

/**
 * Work that was refused, or waited too long, before it was started: nothing of it happened, so a
 * retry is safe. Answered 429 with Retry-After.
 */
public final class Overloaded extends TimeoutException {
  public Overloaded(String message) {
    super(message);
  }
}
