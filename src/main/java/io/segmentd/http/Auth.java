package io.segmentd.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.directives.SecurityDirectives.ProvidedCredentials;

/**
 * Ingestion authenticates like Segment (HTTP Basic, the write key as user name, empty password);
 * queries with {@code Authorization: Bearer <read token>}. Comparisons take constant time.
 */
public final class Auth extends AllDirectives {
  private final String writeKey;
  private final String readToken;
  private final String adminToken;

  public Auth(String writeKey, String readToken, String adminToken) {
    this.writeKey = writeKey;
    this.readToken = readToken;
    this.adminToken = adminToken;
  }

  public Route withAdminToken(Supplier<Route> inner) {
    return authenticateOAuth2("segmentd-admin", c -> c.filter(p -> p.verify(adminToken)).map(p -> "admin"), token -> inner.get());
  }

  public Route withWriteKey(Supplier<Route> inner) {
    return authenticateBasic("segmentd", this::checkWriteKey, user -> inner.get());
  }

  public Route withReadToken(Supplier<Route> inner) {
    return authenticateOAuth2("segmentd", this::checkReadToken, token -> inner.get());
  }

  private Optional<String> checkWriteKey(Optional<ProvidedCredentials> credentials) {
    return credentials.filter(c -> same(c.identifier(), writeKey)).map(ProvidedCredentials::identifier);
  }

  private Optional<String> checkReadToken(Optional<ProvidedCredentials> credentials) {
    return credentials.filter(c -> c.verify(readToken)).map(c -> "reader");
  }

  private static boolean same(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
