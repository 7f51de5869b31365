package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.segmentd.http.JsonSupport;
import io.segmentd.testing.ApiClient;
import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.HostileInputs;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code POST /v1/import}: NDJSON streamed through a real node, bad lines named, retries counted once. */
@ExtendWith(CassandraExtension.class)
class ImportIntegrationTest {
  private static final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
  private static SegmentdNode node;
  private static ApiClient api;

  @BeforeAll
  static void start(LocalCassandra cassandra) {
    node = TestNodes.start(cassandra, "it_import", clock);
    api = new ApiClient(node.httpPort());
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  private static String line(String customer, int i) {
    return "{\"type\": \"track\", \"userId\": \"" + customer + "\", \"event\": \"Product Viewed\", \"messageId\": \"" + customer + "-" + i
        + "\", \"timestamp\": \"2024-02-" + String.format("%02d", 1 + i % 28) + "T10:00:00Z\", \"properties\": {\"product_id\": \"p" + i + "\"}}";
  }

  @Test
  void goodLinesAreRecordedBadLinesNamedAndARetryCountsNothingTwice() {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < 1200; i++) {
      body.append(line("imp-" + (i % 300), i)).append(i % 2 == 0 ? "\n" : "\r\n");
      if (i == 10) body.append("\n   \n"); // blank lines are skipped, but counted in the numbering
      if (i == 500) body.append("{\"type\": \"track\", \"userId\": true, \"event\": \"E\"}\n");
      if (i == 700) body.append("not json\n");
    }
    body.append("{\"type\": \"track\", \"userId\": \"imp-1\", \"event\": \"E\", \"timestamp\": \"2099-01-01T00:00:00Z\"}");
    ApiClient.Response first = api.postBytes("/v1/import", body.toString().getBytes(StandardCharsets.UTF_8), Map.of("Content-Type", "application/x-ndjson"));
    assertEquals(200, first.status(), first.body());
    JsonNode summary = first.json();
    assertEquals(1203, summary.get("lines").asInt());
    assertEquals(1200, summary.get("accepted").asInt());
    assertEquals(0, summary.get("duplicates").asInt());
    assertEquals(3, summary.get("rejected").asInt());
    // line numbers count every line of the file, blank ones included
    JsonNode errors = summary.get("errors");
    assertEquals(3, errors.size(), errors.toString());
    assertEquals("{\"line\":504,\"error\":\"invalid_id\",\"detail\":\"line 504.userId must be a string (or an integer), was a boolean\"}",
        errors.get(0).toString());
    assertEquals(705, errors.get(1).get("line").asInt());
    assertEquals("invalid_json", errors.get(1).get("error").asText());
    assertEquals("{\"line\":1205,\"error\":\"invalid_timestamp\",\"detail\":\"line 1205.timestamp 2099-01-01T00:00:00Z is more than PT5M"
        + " ahead of the server clock (segmentd.ingest.max-future-skew)\"}", errors.get(2).toString());
    assertEquals(4, api.get("/v1/customers/imp-7").json().get("eventCount").asInt());

    ApiClient.Response again = api.postBytes("/v1/import", HostileInputs.gzip(body.toString().getBytes(StandardCharsets.UTF_8)),
        Map.of("Content-Encoding", "gzip"));
    assertEquals(200, again.status(), again.body());
    assertEquals(0, again.json().get("accepted").asInt());
    assertEquals(1200, again.json().get("duplicates").asInt());
    assertEquals(4, api.get("/v1/customers/imp-7").json().get("eventCount").asInt());
  }

  @Test
  void aFileFarBeyondTheRequestLimitIsStreamedThrough() throws Exception {
    int lines = 20_000;
    // Generated while it is sent: neither side holds the whole file.
    InputStream generated = new InputStream() {
      private int next;
      private byte[] current = new byte[0];
      private int at;

      @Override
      public int read() {
        if (at == current.length) {
          if (next == lines) return -1;
          current = (line("big-" + (next % 2000), next) + "\n").getBytes(StandardCharsets.UTF_8);
          next++;
          at = 0;
        }
        return current[at++];
      }
    };
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/v1/import"))
        .timeout(Duration.ofMinutes(5))
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("dev-write-key:".getBytes(StandardCharsets.UTF_8)))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> generated)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    JsonNode summary = JsonSupport.MAPPER.readTree(response.body());
    assertEquals(lines, summary.get("accepted").asInt(), response.body());
    assertEquals(0, summary.get("rejected").asInt());
    assertEquals(10, api.get("/v1/customers/big-1999").json().get("eventCount").asInt());
  }

  @Test
  void anImportNeedsTheWriteKey() throws IOException {
    assertEquals(401, api.postWithoutAuth("/v1/import", line("x", 1)).status());
  }
}
