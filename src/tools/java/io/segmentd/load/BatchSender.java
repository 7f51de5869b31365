package io.segmentd.load;

import java.util.concurrent.CompletableFuture;

/**
 * Sends one batch and answers its outcome as an HTTP-like status: 200 when every event was
 * acknowledged, the server's status otherwise, 0 when the request failed without an answer.
 * The load loops do not care whether the other end is segmentd over HTTP or a plain driver.
 */
public interface BatchSender {
  CompletableFuture<Integer> send(Batch batch);
}
