package io.segmentd.http;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /openapi.yaml}: the API contract, served from the jar (no credentials). */
public final class ApiDocs extends AllDirectives {
  private static final ContentType YAML = MediaTypes.applicationWithFixedCharset("yaml",
      org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8).toContentType();

  public Route route() {
    return path("openapi.yaml", () -> get(() -> getFromResource("openapi.yaml", YAML)));
  }
}
