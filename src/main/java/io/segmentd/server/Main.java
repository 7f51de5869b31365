package io.segmentd.server;

import java.io.File;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;

/** {@code java -jar segmentd.jar server [--config FILE]}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "server" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    if (!command.equals("server")) usage("unknown command '" + command + "'");
    Optional<File> file = Optional.empty();
    for (int i = 0; i < rest.length; i++) {
      if (rest[i].equals("--config") && i + 1 < rest.length) file = Optional.of(new File(rest[++i]));
      else usage("unknown option '" + rest[i] + "'");
    }
    var config = file.isPresent() ? SegmentdConfig.load(file) : SegmentdConfig.load();
    SegmentdNode node = SegmentdNode.start(config, Clock.systemUTC());
    node.whenTerminated().toCompletableFuture().join();
  }

  private static void usage(String problem) {
    System.err.println("segmentd: " + problem);
    System.err.println("usage: segmentd server [--config FILE]   (or SEGMENTD_CONFIG=FILE); the tools run with java -cp segmentd.jar <class>, see scripts/segmentd");
    System.exit(2);
  }
}
