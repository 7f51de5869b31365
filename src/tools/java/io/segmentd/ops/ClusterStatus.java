package io.segmentd.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What {@code scripts/cluster status} prints: the members as the cluster sees them, and per node
 * its readiness and the shards and entities it holds, all read from pekko-management.
 *
 * <p>{@code java -cp segmentd.jar io.segmentd.ops.ClusterStatus name=host:managementPort ...}
 */
public final class ClusterStatus {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final List<String> SHARDED = List.of("Customer", "sharded-daemon-process-reevaluation-waker",
      "sharded-daemon-process-segment-members");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  public static void main(String[] args) {
    Map<String, String> nodes = new TreeMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 0) {
        System.err.println("usage: ClusterStatus name=host:managementPort ...");
        System.exit(2);
      }
      nodes.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    System.exit(new ClusterStatus().print(nodes));
  }

  int print(Map<String, String> nodes) {
    Optional<JsonNode> members = Optional.empty();
    for (String endpoint : nodes.values()) {
      members = get(endpoint, "/cluster/members");
      if (members.isPresent()) break;
    }
    if (members.isEmpty()) {
      System.out.println("no node answers on its management endpoint: the cluster is down");
      return 3;
    }
    JsonNode m = members.get();
    System.out.println("members (as " + m.path("selfNode").asText() + " sees them; leader " + m.path("leader").asText("-")
        + ", oldest " + m.path("oldest").asText("-") + "):");
    for (JsonNode member : m.get("members")) {
      System.out.printf("  %-40s %-8s %s%n", member.get("node").asText(), member.get("status").asText(), member.path("roles"));
    }
    for (JsonNode u : m.path("unreachable")) {
      System.out.printf("  %-40s UNREACHABLE (observed by %s)%n", u.get("node").asText(), u.path("observedBy"));
    }
    System.out.println();
    System.out.printf("%-8s %-22s %-9s %8s %10s %8s %11s%n", "node", "management", "ready", "shards", "customers", "wakers",
        "projections");
    boolean allReady = true;
    for (Map.Entry<String, String> node : nodes.entrySet()) {
      String endpoint = node.getValue();
      boolean ready = status(endpoint, "/ready") == 200;
      allReady &= ready;
      List<String> counts = new ArrayList<>();
      for (String type : SHARDED) {
        Optional<JsonNode> shards = get(endpoint, "/cluster/shards/" + type);
        int shardCount = shards.map(s -> s.path("regions").size()).orElse(-1);
        int entities = 0;
        for (JsonNode region : shards.map(s -> s.path("regions")).orElse(MAPPER.createArrayNode())) entities += region.path("numEntities").asInt();
        counts.add(shardCount < 0 ? "-" : type.equals("Customer") ? shardCount + "/" + entities : Integer.toString(entities));
      }
      String customers = counts.get(0);
      System.out.printf("%-8s %-22s %-9s %8s %10s %8s %11s%n", node.getKey(), endpoint,
          status(endpoint, "/alive") == 200 ? (ready ? "ready" : "not ready") : "down",
          customers.contains("/") ? customers.substring(0, customers.indexOf('/')) : "-",
          customers.contains("/") ? customers.substring(customers.indexOf('/') + 1) : "-", counts.get(1), counts.get(2));
    }
    return allReady ? 0 : 3;
  }

  private Optional<JsonNode> get(String endpoint, String path) {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + path))
          .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? Optional.of(MAPPER.readTree(response.body())) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private int status(String endpoint, String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + path)).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }
}
