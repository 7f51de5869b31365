package io.segmentd.testing;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * {@code @ExtendWith(CassandraExtension.class)}: one real Cassandra for the whole test run,
 * started by the first class that needs it and stopped when the run ends (JUnit closes what the
 * root store holds), or by a shutdown hook if the JVM dies first. Injects {@link LocalCassandra}.
 */
public final class CassandraExtension implements BeforeAllCallback, ParameterResolver {
  private static final Namespace NAMESPACE = Namespace.create(CassandraExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    cassandra(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == LocalCassandra.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return cassandra(context);
  }

  private static LocalCassandra cassandra(ExtensionContext context) {
    return context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent("cassandra", key -> LocalCassandra.start(), LocalCassandra.class);
  }
}
