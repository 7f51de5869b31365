package io.segmentd.server;

import com.typesafe.config.Config;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** The API's TLS context from {@code segmentd.http.tls}: a keystore with the node's key and certificate chain. */
final class Tls {
  private Tls() {}

  static SSLContext serverContext(Config tls) {
    String path = tls.getString("keystore");
    if (path.isBlank()) throw new IllegalArgumentException("segmentd.http.tls.enabled is on but segmentd.http.tls.keystore is not set");
    char[] password = tls.getString("keystore-password").toCharArray();
    try (InputStream in = Files.newInputStream(Path.of(path))) {
      KeyStore keys = KeyStore.getInstance(tls.getString("keystore-type"));
      keys.load(in, password);
      KeyManagerFactory managers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      managers.init(keys, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(managers.getKeyManagers(), null, null);
      return context;
    } catch (Exception e) {
      throw new IllegalArgumentException("segmentd.http.tls.keystore " + path + " could not be read: " + e.getMessage(), e);
    }
  }
}
