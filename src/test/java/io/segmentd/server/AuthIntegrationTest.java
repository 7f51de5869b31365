package io.segmentd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.segmentd.testing.CassandraExtension;
import io.segmentd.testing.LocalCassandra;
import io.segmentd.testing.MutableClock;
import io.segmentd.testing.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every endpoint against no, wrong and right credentials of every kind, key rotation without a restart, and TLS. */
@ExtendWith(CassandraExtension.class)
class AuthIntegrationTest {
  private static final MutableClock clock = new MutableClock(Instant.parse("2024-03-01T00:00:00Z"));
  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static LocalCassandra cassandra;
  private static SegmentdNode node;

  enum Kind { WRITE, READ, ADMIN, PUBLIC }

  /** One way to present (or not) credentials, and the kinds it is good for. */
  record Credential(String name, String header, Set<Kind> grants) {}

  private static final List<Credential> CREDENTIALS = List.of(
      new Credential("none", null, Set.of()),
      new Credential("wrong write key", basic("not-the-key"), Set.of()),
      new Credential("empty basic", basic(""), Set.of()),
      new Credential("write key", basic("dev-write-key"), Set.of(Kind.WRITE)),
      new Credential("second write key", basic("second-write-key"), Set.of(Kind.WRITE)),
      new Credential("write key with a password", "Basic " + b64("dev-write-key:secret"), Set.of(Kind.WRITE)),
      new Credential("write key as a bearer token", "Bearer dev-write-key", Set.of()),
      new Credential("read token as a write key", basic("dev-read-token"), Set.of()),
      new Credential("wrong bearer token", "Bearer dev-read-tokeN", Set.of()),
      new Credential("empty bearer token", "Bearer ", Set.of()),
      new Credential("read token", "Bearer dev-read-token", Set.of(Kind.READ)),
      new Credential("admin token", "Bearer dev-admin-token", Set.of(Kind.READ, Kind.ADMIN)),
      new Credential("admin token in a basic header", basic("dev-admin-token"), Set.of()),
      new Credential("unknown scheme", "Digest username=\"dev-read-token\"", Set.of()));

  record Endpoint(String method, String path, Kind kind, String body) {}

  private static final String EVENT = "{\"userId\": \"authed\", \"event\": \"E\", \"timestamp\": \"2024-02-01T00:00:00Z\"}";

  private static final List<Endpoint> ENDPOINTS = List.of(
      new Endpoint("POST", "/v1/batch", Kind.WRITE, "{\"batch\": [{\"type\": \"track\", \"userId\": \"authed\", \"event\": \"E\"}]}"),
      new Endpoint("POST", "/v1/track", Kind.WRITE, EVENT),
      new Endpoint("POST", "/v1/identify", Kind.WRITE, "{\"userId\": \"authed\", \"traits\": {}}"),
      new Endpoint("POST", "/v1/page", Kind.WRITE, "{\"userId\": \"authed\", \"name\": \"Home\"}"),
      new Endpoint("POST", "/v1/screen", Kind.WRITE, "{\"userId\": \"authed\", \"name\": \"Home\"}"),
      new Endpoint("POST", "/v1/group", Kind.WRITE, "{\"userId\": \"authed\", \"groupId\": \"g\"}"),
      new Endpoint("POST", "/v1/alias", Kind.WRITE, "{\"userId\": \"authed\", \"previousId\": \"a\"}"),
      new Endpoint("GET", "/v1/customers/authed", Kind.READ, null),
      new Endpoint("GET", "/v1/customers/authed/segments", Kind.READ, null),
      new Endpoint("GET", "/v1/customers/authed/history", Kind.READ, null),
      new Endpoint("GET", "/v1/segments", Kind.READ, null),
      new Endpoint("GET", "/v1/segments/loyalty:loyal", Kind.READ, null),
      new Endpoint("GET", "/v1/segments/loyalty:loyal/members", Kind.READ, null),
      new Endpoint("GET", "/v1/segments/loyalty:loyal/changes?follow=false", Kind.READ, null),
      new Endpoint("GET", "/v1/segments/custom:authed/versions", Kind.READ, null),
      new Endpoint("GET", "/v1/segments/custom:authed/backfill", Kind.READ, null),
      new Endpoint("GET", "/v1/read-side/status", Kind.READ, null),
      new Endpoint("GET", "/v1/read-side/check", Kind.READ, null),
      new Endpoint("GET", "/v1/insights/journey", Kind.READ, null),
      new Endpoint("GET", "/v1/insights/segments/loyalty:loyal/profile", Kind.READ, null),
      new Endpoint("GET", "/v1/insights/propensity/loyalty:loyal", Kind.READ, null),
      new Endpoint("GET", "/v1/customers/authed/propensity", Kind.READ, null),
      new Endpoint("POST", "/v1/insights/propensity/loyalty:loyal/train", Kind.ADMIN, null),
      new Endpoint("PUT", "/v1/segments/custom:authed", Kind.ADMIN, "{\"rule\": \"not a rule\"}"),
      new Endpoint("DELETE", "/v1/segments/custom:authed", Kind.ADMIN, null),
      new Endpoint("POST", "/v1/segments/custom:authed/preview", Kind.ADMIN, "{\"rule\": \"not a rule\"}"),
      new Endpoint("POST", "/v1/read-side/rebuild", Kind.ADMIN, null),
      new Endpoint("DELETE", "/v1/customers/authed-erased", Kind.ADMIN, null),
      new Endpoint("GET", "/v1/insights/sizes", Kind.READ, null),
      new Endpoint("GET", "/v1/insights/rfm", Kind.READ, null),
      new Endpoint("GET", "/v1/session", Kind.READ, null),
      new Endpoint("GET", "/v1/operations", Kind.READ, null),
      new Endpoint("GET", "/metrics", Kind.PUBLIC, null),
      new Endpoint("GET", "/", Kind.PUBLIC, null),
      new Endpoint("GET", "/ui/app.js", Kind.PUBLIC, null));

  @BeforeAll
  static void start(LocalCassandra localCassandra) {
    cassandra = localCassandra;
    node = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_auth", LocalCassandra.freePort(),
        Map.of("segmentd.http.write-keys", List.of("second-write-key"))), clock);
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  @Test
  void everyEndpointDemandsItsKindOfCredentialAndRefusesTheRestAlike() throws Exception {
    List<String> wrong = new ArrayList<>();
    String refusal = null;
    for (Endpoint e : ENDPOINTS) {
      for (Credential c : CREDENTIALS) {
        HttpResponse<String> response = send("http://127.0.0.1:" + node.httpPort(), e, c.header());
        boolean allowed = e.kind() == Kind.PUBLIC || c.grants().contains(e.kind());
        if (allowed && response.statusCode() == 401 || !allowed && response.statusCode() != 401) {
          wrong.add(e.method() + " " + e.path() + " with " + c.name() + ": " + response.statusCode() + " " + response.body());
        }
        if (!allowed) {
          // The same body for every refusal: nothing tells a guesser what was close.
          if (refusal == null) refusal = response.body();
          if (!refusal.equals(response.body())) wrong.add(e.method() + " " + e.path() + " with " + c.name() + " answered " + response.body());
          if (response.headers().firstValue("WWW-Authenticate").isEmpty()) wrong.add(e.method() + " " + e.path() + ": no WWW-Authenticate");
        }
      }
    }
    assertEquals(List.of(), wrong);
    assertEquals("{\"error\":\"unauthorized\",\"detail\":\"valid credentials for this endpoint are required\"}", refusal);
  }

  @Test
  void keysRotateWithoutARestartThroughTheCredentialsFile() throws Exception {
    Path file = Files.createTempFile("segmentd-credentials", ".conf");
    Files.writeString(file, "write-keys = [\"old-key\"]\nread-tokens = [\"reader-1\"]\nadmin-tokens = [\"admin-1\"]\n");
    try (SegmentdNode rotating = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_auth_rotation", LocalCassandra.freePort(),
        Map.of("segmentd.http.credentials-file", file.toString(), "segmentd.http.credentials-refresh", "200ms")), clock)) {
      String base = "http://127.0.0.1:" + rotating.httpPort();
      Endpoint track = ENDPOINTS.get(1);
      assertEquals(200, send(base, track, basic("old-key")).statusCode());
      assertEquals(401, send(base, track, basic("dev-write-key")).statusCode(), "the file replaces the configured keys");
      // Overlap: both keys; then the old one retired.
      Files.writeString(file, "write-keys = [\"old-key\", \"new-key\"]\nread-tokens = [\"reader-1\"]\nadmin-tokens = [\"admin-1\"]\n");
      file.toFile().setLastModified(System.currentTimeMillis() + 1000);
      Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(200, send(base, track, basic("new-key")).statusCode()));
      assertEquals(200, send(base, track, basic("old-key")).statusCode());
      Files.writeString(file, "write-keys = [\"new-key\"]\nread-tokens = [\"reader-2\"]\nadmin-tokens = [\"admin-1\"]\n");
      file.toFile().setLastModified(System.currentTimeMillis() + 2000);
      Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(401, send(base, track, basic("old-key")).statusCode()));
      assertEquals(200, send(base, track, basic("new-key")).statusCode());
      Endpoint customer = ENDPOINTS.get(7);
      assertEquals(401, send(base, customer, "Bearer reader-1").statusCode());
      assertNotEquals(401, send(base, customer, "Bearer reader-2").statusCode());
      // A broken file keeps the credentials in force.
      Files.writeString(file, "write-keys = [");
      file.toFile().setLastModified(System.currentTimeMillis() + 3000);
      Awaitility.await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertEquals(200, send(base, track, basic("new-key")).statusCode()));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  void productionConfigurationRefusesTheDevelopmentCredentials() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> production(Map.of(
        "SEGMENTD_WRITE_KEY", "dev-write-key", "SEGMENTD_READ_TOKEN", "r-8f3a", "SEGMENTD_ADMIN_TOKEN", "a-77c1")));
    assertTrue(e.getMessage().contains("segmentd.http.write-key is the development value 'dev-write-key'"), e.getMessage());
    assertEquals("r-8f3a", production(Map.of("SEGMENTD_WRITE_KEY", "w-19d2", "SEGMENTD_READ_TOKEN", "r-8f3a",
        "SEGMENTD_ADMIN_TOKEN", "a-77c1")).getString("segmentd.http.read-token"));
  }

  @Test
  void theApiIsServedOverTlsWhenConfigured() throws Exception {
    Path dir = Files.createTempDirectory("segmentd-tls");
    Path keystore = dir.resolve("node.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
        "-alias", "segmentd", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2", "-dname", "CN=127.0.0.1",
        "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit")
        .redirectErrorStream(true).start();
    assertEquals(0, keytool.waitFor(), new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    try (SegmentdNode tls = SegmentdNode.start(TestNodes.config(cassandra.contactPoint(), "it_auth_tls", LocalCassandra.freePort(),
        Map.of("segmentd.http.tls.enabled", true, "segmentd.http.tls.keystore", keystore.toString(),
            "segmentd.http.tls.keystore-password", "changeit")), clock)) {
      // A client that trusts the self-signed certificate.
      java.security.KeyStore trusted = java.security.KeyStore.getInstance("PKCS12");
      try (var in = Files.newInputStream(keystore)) {
        trusted.load(in, "changeit".toCharArray());
      }
      javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      trust.init(trusted);
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> accepted = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tls.httpPort() + "/v1/track"))
          .header("Authorization", basic("dev-write-key")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(EVENT)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, accepted.statusCode(), accepted.body());
      assertEquals("{\"success\":true,\"accepted\":1,\"duplicates\":0}", accepted.body());
      // Plain HTTP on the TLS port gets no API answer.
      assertThrows(java.io.IOException.class, () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tls.httpPort() + "/v1/track"))
          .header("Authorization", basic("dev-write-key")).POST(HttpRequest.BodyPublishers.ofString(EVENT)).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
  }

  private static com.typesafe.config.Config production(Map<String, String> credentials) {
    Map<String, String> environment = new java.util.HashMap<>(credentials);
    environment.putAll(Map.of("SEGMENTD_REMOTE_HOST", "10.0.0.5", "SEGMENTD_MANAGEMENT_HOST", "10.0.0.5",
        "SEGMENTD_CASSANDRA", "10.0.1.1:9042", "SEGMENTD_CASSANDRA_DC", "dc1", "SEGMENTD_FIRST_TIME_BUCKET", "20261130T00:00"));
    com.typesafe.config.Config layered = com.typesafe.config.ConfigFactory.parseMap(environment)
        .withFallback(com.typesafe.config.ConfigFactory.parseFile(Path.of("cluster-config/production.conf").toFile()))
        .withFallback(com.typesafe.config.ConfigFactory.parseResourcesAnySyntax("application"));
    return SegmentdConfig.resolve(com.typesafe.config.ConfigFactory.load(layered));
  }

  private static HttpResponse<String> send(String base, Endpoint e, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + e.path())).timeout(Duration.ofSeconds(30));
    if (authorization != null) request.header("Authorization", authorization);
    if (e.body() != null) request.header("Content-Type", "application/json");
    HttpRequest.BodyPublisher body = e.body() == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(e.body());
    return http.send(request.method(e.method(), body).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String basic(String user) {
    return "Basic " + b64(user + ":");
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
