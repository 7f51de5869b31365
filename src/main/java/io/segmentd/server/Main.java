package io.segmentd.server;

import io.segmentd.demo.OnlineRetailImport;
import java.time.Clock;
import java.util.Arrays;

/** {@code java -jar segmentd.jar [server | import-online-retail ...]}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "server" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "server" -> {
        SegmentdNode node = SegmentdNode.start(SegmentdConfig.load(), Clock.systemUTC());
        node.whenTerminated().toCompletableFuture().join();
      }
      case "import-online-retail" -> System.exit(OnlineRetailImport.run(rest));
      default -> {
        System.err.println("usage: segmentd [server | import-online-retail --file F --url U ...]");
        System.exit(2);
      }
    }
  }
}
