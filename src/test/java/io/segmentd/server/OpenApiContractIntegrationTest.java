package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code openapi.yaml} and the routes agree: the node serves the file; every operation in it is a
 * route (never "no such resource" or "method not allowed"), answering with a status the file
 * documents, 401 without its credentials where it demands some; and every other method on those
 * paths is refused as the file says nothing of it.
 */
@ExtendWith(CassandraExtension.class)
class OpenApiContractIntegrationTest {
  private static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "patch");
  private static final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static SegmentdNode node;
  private static JsonNode contract;

  @BeforeAll
  static void start(LocalCassandra cassandra) throws Exception {
    node = TestNodes.start(cassandra, "it_openapi", clock);
    try (InputStream in = OpenApiContractIntegrationTest.class.getResourceAsStream("/openapi.yaml")) {
      contract = new ObjectMapper(new YAMLFactory()).readTree(in);
    }
    // a customer to ask about
    send("POST", "/v1/track", "writeKey", "{\"userId\": \"known\", \"event\": \"E\", \"timestamp\": \"2024-02-01T00:00:00Z\"}");
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void theNodeServesTheContract() throws Exception {
    HttpResponse<String> served = send("GET", "/openapi.yaml", "none", null);
    assertEquals(200, served.statusCode());
    try (InputStream in = OpenApiContractIntegrationTest.class.getResourceAsStream("/openapi.yaml")) {
      assertEquals(new String(in.readAllBytes(), StandardCharsets.UTF_8), served.body());
    }
    assertTrue(served.headers().firstValue("Content-Type").orElse("").startsWith("application/yaml"));
  }

  @Test
  void everyOperationIsARouteAnsweringWhatTheContractSays() throws Exception {
    List<String> wrong = new ArrayList<>();
    int operations = 0;
    for (Iterator<Map.Entry<String, JsonNode>> paths = contract.get("paths").fields(); paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      String concrete = path.getKey().replace("{id}", path.getKey().startsWith("/v1/customers") ? "known"
          : path.getKey().endsWith("/versions") || path.getKey().endsWith("/backfill") || path.getKey().endsWith("/preview")
              ? "custom:contract" : "loyalty:loyal");
      for (String method : METHODS) {
        JsonNode operation = path.getValue().get(method);
        String where = method.toUpperCase() + " " + path.getKey();
        if (operation == null) {
          // not in the contract: not a route either
          HttpResponse<String> response = send(method.toUpperCase(), concrete, "adminToken", null);
          if (response.statusCode() != 405 && response.statusCode() != 404) wrong.add(where + " is not in the contract but answered " + response.statusCode());
          continue;
        }
        operations++;
        String kind = operation.has("security") && !operation.get("security").isEmpty()
            ? operation.get("security").get(0).fieldNames().next() : "none";
        String body = operation.has("requestBody") ? sampleBody(path.getKey()) : null;
        String target = concrete + (path.getKey().endsWith("/changes") ? "?follow=false" : "");
        HttpResponse<String> answered = send(method.toUpperCase(), target, kind, body);
        JsonNode documented = operation.get("responses");
        if (answered.statusCode() == 405 || answered.body().contains("\"no such resource\"")) {
          wrong.add(where + " is no route: " + answered.statusCode() + " " + answered.body());
        } else if (!documented.has(Integer.toString(answered.statusCode()))) {
          wrong.add(where + " answered " + answered.statusCode() + ", not documented: " + answered.body());
        }
        if (!kind.equals("none")) {
          HttpResponse<String> anonymous = send(method.toUpperCase(), target, "none", body);
          if (anonymous.statusCode() != 401) wrong.add(where + " without credentials answered " + anonymous.statusCode());
          if (!documented.has("401")) wrong.add(where + " demands credentials but documents no 401");
        }
      }
    }
    assertEquals(List.of(), wrong);
    assertEquals(35, operations, "operations in the contract");
  }

  private static String sampleBody(String path) {
    if (path.equals("/v1/batch")) return "{\"batch\": [{\"type\": \"track\", \"userId\": \"known\", \"event\": \"E\"}]}";
    if (path.equals("/v1/import")) return "{\"type\": \"track\", \"userId\": \"known\", \"event\": \"E\"}\n";
    if (path.startsWith("/v1/segments")) return "{\"rule\": {\"event\": \"E\", \"count\": {\"atLeast\": 1}}}";
    return "{\"userId\": \"known\", \"event\": \"E\", \"name\": \"Home\", \"traits\": {}, \"groupId\": \"g\", \"previousId\": \"p\"}";
  }

  private static HttpResponse<String> send(String method, String path, String kind, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path)).timeout(Duration.ofSeconds(60));
    switch (kind) {
      case "writeKey" -> request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString("dev-write-key:".getBytes(StandardCharsets.UTF_8)));
      case "readToken" -> request.header("Authorization", "Bearer dev-read-token");
      case "adminToken" -> request.header("Authorization", "Bearer dev-admin-token");
      default -> { }
    }
    if (body != null) request.header("Content-Type", "application/json");
    return http.send(request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
