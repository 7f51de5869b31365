package io.segmentd.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RouteTemplatesTest {
  private final RouteTemplates templates = RouteTemplates.fromContract();

  @Test
  void aPathIsNamedByItsTemplateNeverByItsIds() {
    assertEquals("/v1/customers/{id}", templates.of("/v1/customers/alice@example.com"));
    assertEquals("/v1/customers/{id}/history", templates.of("/v1/customers/alice/history"));
    assertEquals("/v1/segments/{id}/members", templates.of("/v1/segments/loyalty%3Aloyal/members"));
    assertEquals("/v1/batch", templates.of("/v1/batch"));
    assertEquals("/v1/read-side/status", templates.of("/v1/read-side/status"));
    assertEquals("/", templates.of("/"));
    assertEquals("/ui/{file}", templates.of("/ui/app.js"));
  }

  @Test
  void literalSegmentsWinOverIds() {
    assertEquals("/v1/insights/propensity/{id}", templates.of("/v1/insights/propensity/loyalty:loyal"));
    assertEquals("/v1/customers/{id}/propensity", templates.of("/v1/customers/c-1/propensity"));
  }

  @Test
  void anythingElseIsUnmatched() {
    assertEquals("unmatched", templates.of("/wp-admin/setup.php"));
    assertEquals("unmatched", templates.of("/v1/customers/a/b/c/d"));
  }
}
