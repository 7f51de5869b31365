package io.segmentd.http;

import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The dashboard: static files served at {@code /} (the page) and {@code /ui/...} (its modules and
 * styles), without credentials; the page signs in with a token it sends only to the API. From the
 * jar, or from a directory while the dashboard is being worked on (segmentd.http.dashboard-directory).
 */
public final class Dashboard extends AllDirectives {
  // The page runs only its own code and talks only to this node.
  private static final List<org.apache.pekko.http.javadsl.model.HttpHeader> HEADERS = List.of(
      RawHeader.create("Content-Security-Policy",
          "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'"),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      RawHeader.create("Referrer-Policy", "no-referrer"),
      RawHeader.create("Cache-Control", "no-cache"));

  private final Path directory;

  /** @param directory where the files are read from, or null for the jar's {@code dashboard/} */
  public Dashboard(Path directory) {
    this.directory = directory;
  }

  public Route route() {
    return get(() -> respondWithHeaders(HEADERS, () -> concat(
        pathEndOrSingleSlash(() -> file("index.html")),
        pathPrefix("ui", () -> extractUnmatchedPath(rest -> {
          String name = rest.startsWith("/") ? rest.substring(1) : rest;
          // Only plain file names below the dashboard: no way out of it.
          if (name.isEmpty() || name.contains("..") || name.contains("//") || name.contains("\\")) return reject();
          return file(name);
        })))));
  }

  private Route file(String name) {
    return directory == null ? getFromResource("dashboard/" + name) : getFromFile(directory.resolve(name).toFile());
  }
}
