package io.segmentd.server;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.time.Duration;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import org.apache.pekko.Done;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;

/**
 * Applies the schema files under {@code cql/} in order. Used on start when
 * {@code segmentd.cassandra.create-schema} is on; every statement is idempotent.
 */
public final class SchemaApplier {
  static final List<String> FILES = List.of(
      "cql/001-keyspace.cql", "cql/002-journal.cql", "cql/003-snapshots.cql", "cql/004-projection-offsets.cql",
      "cql/005-reevaluation.cql", "cql/006-read-side.cql", "cql/007-replay.cql", "cql/008-definitions.cql", "cql/009-insights.cql");

  private SchemaApplier() {}

  public static List<String> statements(Config cassandra) {
    List<String> statements = new ArrayList<>();
    for (String file : FILES) {
      String text = read(file)
          .replace("${keyspace}", cassandra.getString("keyspace"))
          .replace("${replication_factor}", Integer.toString(cassandra.getInt("replication-factor")));
      StringBuilder withoutComments = new StringBuilder();
      for (String line : text.split("\n")) {
        if (!line.strip().startsWith("--")) withoutComments.append(line).append('\n');
      }
      for (String statement : withoutComments.toString().split(";")) {
        if (!statement.isBlank()) statements.add(statement.strip());
      }
    }
    return statements;
  }

  /** Schema changes wait for the whole Cassandra cluster to agree: far longer than a query may take. */
  private static final Duration DDL_TIMEOUT = Duration.ofSeconds(60);

  public static CompletionStage<Done> apply(CassandraSession session, Config cassandra, Executor executor) {
    CompletionStage<Done> done = CompletableFuture.completedFuture(Done.getInstance());
    for (String statement : statements(cassandra)) {
      done = done.thenComposeAsync(d -> io.segmentd.common.Stages.on(session.underlying(), executor)
          .thenCompose(cql -> cql.executeAsync(SimpleStatement.newInstance(statement).setTimeout(DDL_TIMEOUT)))
          .thenApply(result -> Done.getInstance()), executor);
    }
    return done;
  }

  private static String read(String resource) {
    try (InputStream in = SchemaApplier.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("missing schema resource " + resource);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
