package io.segmentd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.http.JsonSupport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;

/**
 * A client of {@code GET /v1/segments/{id}/changes} as a browser's EventSource is: it reads the
 * Server-Sent Events of one connection and resumes with {@code Last-Event-ID}. Each event is
 * recorded as {@code customerId/sequenceNr/direction}.
 */
public final class ChangesStream {
  private ChangesStream() {}

  /** One event: {@code customerId/sequenceNr/direction}, and its id (the cursor to resume from). */
  public record Event(String key, String id) {}

  /**
   * One connection: hands each event to {@code onEvent} and hangs up when it answers true, or
   * reads until the server ends the stream; returns the last event id (or {@code lastEventId} if
   * none came).
   */
  public static String read(int port, String segment, String lastEventId, boolean follow, Predicate<Event> onEvent) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/segments/" + segment
            + "/changes?follow=" + follow))
        .header("Authorization", "Bearer dev-read-token").header("Accept", "text/event-stream");
    if (lastEventId != null) request.header("Last-Event-ID", lastEventId);
    try {
      HttpResponse<InputStream> response = HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() != 200) {
        throw new AssertionError("status " + response.statusCode() + ": " + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
      }
      String last = lastEventId;
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        String line;
        String id = null;
        String data = null;
        while ((line = reader.readLine()) != null) {
          if (line.startsWith("id:")) id = line.substring(3).trim();
          else if (line.startsWith("data:")) data = line.substring(5).trim();
          else if (line.isEmpty() && data != null && data.isEmpty()) data = null; // a keep-alive heartbeat
          else if (line.isEmpty() && data != null) {
            JsonNode change = JsonSupport.MAPPER.readTree(data);
            if (!segment.equals(change.get("segment").asText()) || !change.get("cursor").asText().equals(id)) {
              throw new AssertionError("event of another segment or with a cursor other than its id: " + data + " (id " + id + ")");
            }
            String key = change.get("customerId").asText() + "/" + change.get("sequenceNr").asLong() + "/" + change.get("direction").asText();
            last = id;
            data = null;
            if (onEvent.test(new Event(key, id))) break;
          }
        }
      }
      return last;
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The status and body of a request that is refused before any event. */
  public static ApiClient.Response refused(int port, String segment, String lastEventId) {
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
              + "/v1/segments/" + segment + "/changes?follow=false"))
          .header("Authorization", "Bearer dev-read-token").header("Last-Event-ID", lastEventId).build(), HttpResponse.BodyHandlers.ofString());
      return new ApiClient.Response(response.statusCode(), response.body());
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
