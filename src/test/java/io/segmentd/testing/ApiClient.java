package io.segmentd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.http.JsonSupport;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A plain HTTP client for a test node, with the dev credentials. */
public final class ApiClient {
  public record Response(int status, String body) {
    public JsonNode json() {
      try {
        return JsonSupport.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(5)).build();
  private final String base;

  public ApiClient(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  public Response post(String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("dev-write-key:".getBytes(StandardCharsets.UTF_8)))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  /** A POST of raw bytes (not necessarily UTF-8, perhaps compressed) with the write key and these headers. */
  public Response postBytes(String path, byte[] body, java.util.Map<String, String> headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("dev-write-key:".getBytes(StandardCharsets.UTF_8)));
    headers.forEach(request::setHeader);
    return send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  public Response postWithoutAuth(String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  public Response postBearer(String path, String token) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.noBody()).build());
  }

  public Response get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "Bearer dev-read-token").GET().build());
  }

  /** A DELETE with this bearer token. */
  public Response delete(String path, String token) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token).DELETE().build());
  }

  public Response putForm(String url, String form) {
    return send(HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .PUT(HttpRequest.BodyPublishers.ofString(form)).build());
  }

  /** A POST that reports a failed connection as an exception instead of an assertion (load clients retry it). */
  public Response tryPost(String path, String body, java.time.Duration timeout) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
        .header("Content-Type", "application/json")
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("dev-write-key:".getBytes(StandardCharsets.UTF_8)))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    return new Response(response.statusCode(), response.body());
  }

  public Response getRaw(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).GET().build());
  }

  private Response send(HttpRequest request) {
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body());
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
