package io.segmentd.http;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API's route templates, read from the contract ({@code openapi.yaml}'s paths) plus the
 * dashboard's: the name of a request's route in the access log and the metrics, whatever its ids.
 */
public final class RouteTemplates {
  private static final Pattern PATH = Pattern.compile("^  (/\\S*):\\s*$");
  static final String UNMATCHED = "unmatched";

  private final List<String[]> templates;

  RouteTemplates(List<String> templates) {
    this.templates = templates.stream().map(RouteTemplates::segments).toList();
  }

  public static RouteTemplates fromContract() {
    List<String> paths = new ArrayList<>(List.of("/", "/ui/{file}"));
    try (var in = RouteTemplates.class.getClassLoader().getResourceAsStream("openapi.yaml")) {
      if (in == null) throw new IllegalStateException("openapi.yaml is not on the class path");
      BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        Matcher m = PATH.matcher(line);
        if (m.matches()) paths.add(m.group(1));
      }
    } catch (IOException e) {
      throw new IllegalStateException("openapi.yaml could not be read", e);
    }
    return new RouteTemplates(paths);
  }

  /** The template a path falls under (the one with most literal segments), or {@code unmatched}. */
  public String of(String path) {
    String[] given = segments(path);
    String[] best = null;
    int bestLiterals = -1;
    for (String[] template : templates) {
      if (template.length != given.length) continue;
      int literals = 0;
      boolean matches = true;
      for (int i = 0; i < template.length && matches; i++) {
        if (template[i].startsWith("{")) continue;
        if (template[i].equals(given[i])) literals++;
        else matches = false;
      }
      if (matches && literals > bestLiterals) {
        best = template;
        bestLiterals = literals;
      }
    }
    return best == null ? UNMATCHED : "/" + String.join("/", best);
  }

  private static String[] segments(String path) {
    String trimmed = path.startsWith("/") ? path.substring(1) : path;
    if (trimmed.endsWith("/")) trimmed = trimmed.substring(0, trimmed.length() - 1);
    return trimmed.isEmpty() ? new String[0] : trimmed.split("/", -1);
  }
}
