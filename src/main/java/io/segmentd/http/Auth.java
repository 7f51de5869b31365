package io.segmentd.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.OAuth2BearerToken;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Rejections;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.directives.SecurityDirectives.ProvidedCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may do what. Ingestion authenticates like Segment (HTTP Basic, a write key as user name,
 * empty password); queries with {@code Authorization: Bearer <read token>} (an admin token also
 * reads); the admin API with {@code Bearer <admin token>}. Each kind may have several values (a
 * rotation overlaps the old and the new). Credentials come from {@code segmentd.http}, or, when
 * {@code credentials-file} is set, from that file alone, read again whenever it changes (rotation
 * without a restart). Every comparison takes the same time whatever the guess: SHA-256 digests
 * compared with {@link MessageDigest#isEqual}, against every value of the kind. Credentials are
 * never logged.
 */
public final class Auth extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(Auth.class);

  /** The values of each kind, as SHA-256 digests. */
  record Credentials(List<byte[]> writeKeys, List<byte[]> readTokens, List<byte[]> adminTokens) {
    static Credentials of(List<String> writeKeys, List<String> readTokens, List<String> adminTokens) {
      return new Credentials(digests(writeKeys, "write keys"), digests(readTokens, "read tokens"), digests(adminTokens, "admin tokens"));
    }

    private static List<byte[]> digests(List<String> values, String kind) {
      List<byte[]> out = new ArrayList<>();
      for (String v : values) {
        if (v.isBlank()) throw new IllegalArgumentException("segmentd.http: one of the " + kind + " is empty");
        out.add(sha256(v));
      }
      if (out.isEmpty()) throw new IllegalArgumentException("segmentd.http: no " + kind + " are configured");
      return List.copyOf(out);
    }
  }

  private final AtomicReference<Credentials> credentials;
  private final File file;
  private long fileModified;

  private Auth(Credentials initial, File file) {
    this.credentials = new AtomicReference<>(initial);
    this.file = file;
    this.fileModified = file == null ? 0 : file.lastModified();
  }

  /** From {@code segmentd.http}: its keys and tokens, or those of its {@code credentials-file}. */
  public static Auth fromConfig(Config http) {
    String path = http.getString("credentials-file");
    if (!path.isBlank()) {
      File file = new File(path);
      return new Auth(read(file), file);
    }
    return new Auth(Credentials.of(values(http, "write-key", "write-keys"), values(http, "read-token", "read-tokens"),
        values(http, "admin-token", "admin-tokens")), null);
  }

  private static List<String> values(Config http, String one, String many) {
    List<String> all = new ArrayList<>();
    all.add(http.getString(one));
    all.addAll(http.getStringList(many));
    return all;
  }

  private static Credentials read(File file) {
    if (!file.isFile()) throw new IllegalArgumentException("segmentd.http.credentials-file " + file + " does not exist");
    Config c = ConfigFactory.parseFile(file).resolve();
    return Credentials.of(c.getStringList("write-keys"), c.getStringList("read-tokens"), c.getStringList("admin-tokens"));
  }

  /** Reads the credentials file again if it changed; a file that does not read keeps the credentials in force. */
  public void refresh() {
    if (file == null) return;
    long modified = file.lastModified();
    if (modified == fileModified) return;
    try {
      credentials.set(read(file));
      fileModified = modified;
      log.info("credentials re-read from {}", file);
    } catch (RuntimeException e) {
      log.warn("credentials file {} could not be read, the previous credentials stay in force: {}", file, e.getMessage());
    }
  }

  public Route withAdminToken(Supplier<Route> inner) {
    return bearer("segmentd-admin", token -> anyEqual(token, credentials.get().adminTokens()), inner);
  }

  public Route withWriteKey(Supplier<Route> inner) {
    return authenticateBasic("segmentd", this::checkWriteKey, user -> inner.get());
  }

  /** Read endpoints: a read token, or an admin token (an admin may read what readers read). */
  public Route withReadToken(Supplier<Route> inner) {
    return bearer("segmentd", token -> {
      Credentials now = credentials.get();
      return anyEqual(token, now.readTokens()) | anyEqual(token, now.adminTokens());
    }, inner);
  }

  /** What the dashboard asks at sign-in: which of the API's tokens this is ({@code GET /v1/session}). */
  public record Session(String role, java.time.Instant now) {}

  /** {@code now}: the node's clock, which the dashboard's periods end at. */
  public Route sessionRoute(java.time.Clock clock) {
    return path(PathMatchers.segment("v1").slash("session"), () -> get(() -> withReadToken(() -> extractCredentials(given -> {
      boolean admin = given.get() instanceof OAuth2BearerToken bearer && anyEqual(sha256(bearer.token()), credentials.get().adminTokens());
      return complete(org.apache.pekko.http.javadsl.model.StatusCodes.OK, new Session(admin ? "admin" : "read", clock.instant()), JsonSupport.json());
    }))));
  }

  /** {@code Authorization: Bearer <token>} checked by digest, in constant time; else a 401 challenge. */
  private Route bearer(String realm, java.util.function.Predicate<byte[]> accepts, Supplier<Route> inner) {
    return extractCredentials(given -> {
      if (given.isPresent() && given.get() instanceof OAuth2BearerToken bearer && accepts.test(sha256(bearer.token()))) return inner.get();
      HttpChallenge challenge = HttpChallenge.createOAuth2(realm);
      return reject(given.isPresent() ? Rejections.authenticationCredentialsRejected(challenge)
          : Rejections.authenticationCredentialsMissing(challenge));
    });
  }

  private Optional<String> checkWriteKey(Optional<ProvidedCredentials> provided) {
    // Segment's SDKs send the key as the user name and an empty password.
    return provided.filter(p -> anyEqual(sha256(p.identifier()), credentials.get().writeKeys())).map(p -> "writer");
  }

  /** Compared with every value, so the time does not tell which one, or how close, a guess came. */
  private static boolean anyEqual(byte[] digest, List<byte[]> digests) {
    boolean any = false;
    for (byte[] d : digests) any |= MessageDigest.isEqual(digest, d);
    return any;
  }

  static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
