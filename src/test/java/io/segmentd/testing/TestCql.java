package io.segmentd.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.net.InetSocketAddress;

/** A plain driver session for tests to look into Cassandra directly. */
public final class TestCql {
  private TestCql() {}

  /**
   * A session on this node alone. The driver's default loader would read the product's
   * application.conf and add its contact point (127.0.0.1:9042): a demo's Cassandra running there
   * would then answer some of the test's queries.
   */
  public static CqlSession session(String host, int port) {
    return CqlSession.builder()
        .withConfigLoader(DriverConfigLoader.fromString("datastax-java-driver.basic.load-balancing-policy.local-datacenter = datacenter1"))
        .addContactPoint(new InetSocketAddress(host, port))
        .build();
  }
}
