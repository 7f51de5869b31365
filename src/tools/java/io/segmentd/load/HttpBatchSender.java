package io.segmentd.load;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** {@code POST /v1/batch} with the write key as HTTP Basic user, as Segment's SDKs send it. */
public final class HttpBatchSender implements BatchSender {
  private final HttpClient http;
  private final URI uri;
  private final String authorization;
  private final Executor callbacks;
  private final Duration timeout;

  /**
   * @param callbacks runs every completion stage: on 2 cores the common pool has parallelism 1 and
   *     an async stage without an executor would start a thread per completion
   */
  public HttpBatchSender(HttpClient http, String baseUrl, String writeKey, Duration timeout, Executor callbacks) {
    this.http = http;
    this.uri = URI.create(baseUrl.replaceAll("/+$", "") + "/v1/batch");
    this.authorization = "Basic " + Base64.getEncoder().encodeToString((writeKey + ":").getBytes(StandardCharsets.UTF_8));
    this.callbacks = callbacks;
    this.timeout = timeout;
  }

  /** An HTTP/1.1 client (Pekko HTTP serves no h2c): one connection per request in flight. */
  public static HttpClient client(Executor executor) {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  @Override
  public CompletableFuture<Integer> send(Batch batch) {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout)
        .header("Authorization", authorization).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(batch.body())).build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .handleAsync((response, failure) -> failure != null ? 0 : response.statusCode(), callbacks);
  }
}
