package io.segmentd.server;

import java.io.File;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import io.segmentd.insights.InsightsCli;
import io.segmentd.replay.ReplayCli;
import io.segmentd.replay.ReplayEnvironment;

/** {@code java -jar segmentd.jar server [--config FILE]}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "server" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    if (command.equals("replay")) System.exit(replay(rest));
    if (command.equals("insights")) System.exit(insights(rest));
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

  /** {@code segmentd replay ...}: the tools over the journals (see {@link ReplayCli}); returns the exit code. */
  static int replay(String[] args) {
    Optional<File> file = Optional.empty();
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--config")) file = Optional.of(new File(args[i + 1]));
    }
    Optional<File> configFile = file;
    return new ReplayCli(System.out, System.err, () -> {
      var config = configFile.isPresent() ? SegmentdConfig.load(configFile) : SegmentdConfig.load();
      ReplayEnvironment env = ReplayEnvironment.open(config, Clock.systemUTC());
      if (config.getBoolean("segmentd.cassandra.create-schema")) {
        SchemaApplier.apply(env.session(), config.getConfig("segmentd.cassandra"), Runnable::run).toCompletableFuture().get(120, TimeUnit.SECONDS);
      }
      return env;
    }).run(args);
  }

  /** {@code segmentd insights backtest ...}: the propensity backtest over the journals (see {@link InsightsCli}). */
  static int insights(String[] args) {
    Optional<File> file = Optional.empty();
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--config")) file = Optional.of(new File(args[i + 1]));
    }
    Optional<File> configFile = file;
    return new InsightsCli(System.out, System.err, () -> ReplayEnvironment.open(
        configFile.isPresent() ? SegmentdConfig.load(configFile) : SegmentdConfig.load(), Clock.systemUTC())).run(args);
  }

  private static void usage(String problem) {
    System.err.println("segmentd: " + problem);
    System.err.println("usage: segmentd server [--config FILE]   (or SEGMENTD_CONFIG=FILE); segmentd replay --help; segmentd insights backtest --help; the other tools run with java -cp segmentd.jar <class>, see scripts/segmentd");
    System.exit(2);
  }
}
