package io.segmentd.replay;

import com.fasterxml.jackson.databind.ObjectWriter;
import io.segmentd.http.JsonSupport;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import java.io.File;
import java.io.PrintStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * {@code segmentd replay <command>}: rebuild, diff, as-of and verify, run from the same jar as the
 * server, beside a serving cluster or away from it. Exit codes: 0 done (verify: healthy), 1 verify
 * found problems or the command failed, 2 bad usage.
 */
public final class ReplayCli {
  private final PrintStream out;
  private final PrintStream err;
  private final Callable<ReplayEnvironment> environment;

  /** @param environment opens the environment (Cassandra, settings) once the arguments are understood */
  public ReplayCli(PrintStream out, PrintStream err, Callable<ReplayEnvironment> environment) {
    this.out = out;
    this.err = err;
    this.environment = environment;
  }

  static final String USAGE = """
      usage: segmentd replay <command> [options]   (segmentd replay <command> --help for its options)

      Commands (each reads the journals in Cassandra; only rebuild writes, and only the read side):
        rebuild   rewrite the read side's members and counts from the journals
        diff      dry run: who would enter and leave each segment under other definitions
        as-of     membership at a past instant, of one customer or one segment
        verify    journal health: gaps, two writers, unreadable events, snapshots that disagree
        maintain  delete what no promise needs (old snapshots, old checkpoints, old tag copies); dry run

      Common options: --config FILE (or SEGMENTD_CONFIG) names the configuration, as for the server.
      """;

  static final Map<String, String> HELP = Map.of(
      "rebuild", """
          usage: segmentd replay rebuild [--segments ID,...] [--customers ID,...] [--definitions FILE] [--restart]

          Folds every customer's journal (a parallel scan of the journal table by token range) through the
          domain core and rewrites the read side: segment members and counts. With the running definitions the
          result equals what the entities recorded. The changes log is not rewritten (it records transitions).
            --segments ID,...    only these segments (their rows are cleared and rewritten)
            --customers ID,...   only these customers (their rows in every segment; no clearing)
            --definitions FILE   evaluate with these definitions (HOCON, keys as in the configuration:
                                 segmentd.segments { ... }); used to roll out a change of built-in settings
            --restart            ignore the checkpoints of an unfinished run with the same arguments
          Safe while ingestion goes on: the projections pause while the rebuild holds the read side and catch
          up from their offsets afterwards. Killed midway, a rerun with the same arguments resumes after the
          last token range it finished.
          """,
      "diff", """
          usage: segmentd replay diff --definitions FILE [--at T] [--json] [--samples N]

          Dry run: folds every journal and evaluates it under the running definitions and under FILE's at the
          same instant; for each segment whose definition or members differ, prints its size before and after,
          how many enter and leave, and samples of who. Writes nothing.
            --definitions FILE   the proposed definitions (HOCON, keys as in the configuration)
            --at T               evaluate at this instant (ISO-8601; default now)
            --json               JSON instead of a table
            --samples N          customer ids named per segment and direction (default segmentd.replay.samples)
          """,
      "as-of", """
          usage: segmentd replay as-of T (--customer ID | --segment ID) [--known-at D] [--json]

          Membership at the past instant T (ISO-8601), from the journals: the facts that happened at or before T,
          evaluated at T. --customer prints the customer's segments with the values behind each; --segment prints
          the members (one id per line, the count on stderr).
            --known-at D   only what had been recorded by D: "what did we believe on day D about T"
            --json         JSON output
          """,
      "verify", """
          usage: segmentd replay verify [--json]

          Checks every journal: sequence numbers without gaps, none written twice, no writer writing again after
          another took over (two writers at once), every event readable, and each customer's latest snapshot
          equal to a fold of the events it covers. Prints a report; exits 0 when healthy, 1 otherwise.
            --json   JSON output
          """,
      "maintain", """
          usage: segmentd replay maintain [--apply] [--json]

          Deletes what no promise of segmentd needs, by segmentd.retention (README, "Retention"): snapshots beyond
          each customer's newest readable keep-snapshots and unreadable ones, checkpoints of replay runs finished
          longer ago than replay-runs, and (when tag-views is set) tagged copies of transitions older than it and
          than every projection's offset. The journal itself is never deleted. Without --apply: a dry run that
          counts what would go.
            --apply   delete
            --json    JSON output
          """);

  public int run(String[] args) {
    if (args.length == 0 || isHelp(args[0])) {
      (args.length == 0 ? err : out).print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String command = args[0];
    if (!HELP.containsKey(command)) return usage("unknown replay command '" + command + "'");
    List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
    if (rest.stream().anyMatch(ReplayCli::isHelp)) {
      out.print(HELP.get(command));
      return 0;
    }
    Options options;
    try {
      options = Options.parse(command, rest);
    } catch (IllegalArgumentException e) {
      err.println("segmentd replay " + command + ": " + e.getMessage());
      err.print(HELP.get(command));
      return 2;
    }
    try (ReplayEnvironment env = environment.call()) {
      return switch (command) {
        case "rebuild" -> rebuild(env, options);
        case "diff" -> diff(env, options);
        case "as-of" -> asOf(env, options);
        case "maintain" -> maintain(env, options);
        default -> verify(env, options);
      };
    } catch (Exception e) {
      err.println("segmentd replay " + command + " failed: " + e.getMessage());
      return 1;
    }
  }

  private int usage(String problem) {
    err.println("segmentd replay: " + problem);
    err.print(USAGE);
    return 2;
  }

  private static boolean isHelp(String arg) {
    return arg.equals("--help") || arg.equals("-h") || arg.equals("help");
  }

  private int rebuild(ReplayEnvironment env, Options o) throws Exception {
    Rebuild.Result result = new Rebuild(env, out).run(new Rebuild.Options(o.list("segments"), o.list("customers"),
        o.value("definitions").map(File::new), o.flag("restart")));
    out.printf("rebuild %s: %,d customers, %,d events, %,.0f events/s%s%n", result.run(), result.customers(), result.events(),
        result.eventsPerSecond(), result.resumed() ? " (resumed: " + result.rangesSkipped() + " of " + result.ranges() + " ranges were done)" : "");
    return 0;
  }

  private int diff(ReplayEnvironment env, Options o) throws Exception {
    File file = new File(o.value("definitions").orElseThrow(() -> new IllegalArgumentException("diff needs --definitions FILE")));
    Instant at = o.instant("at").orElseGet(env.clock()::instant);
    int samples = o.value("samples").map(Integer::parseInt).orElse(env.settings().samples());
    Diff diff = new Diff(env.definitions(), env.definitions(file), at, samples);
    ReplaySettings settings = env.settings();
    ParallelScan.histories(env.scan(), env.decoder(), TokenRanges.split(settings.tokenRanges()).ranges(), settings.parallelism(),
        Progress.toStderr("diff", settings.tokenRanges(), 0), diff.consumer());
    MembershipDiff.Report report = diff.report();
    if (o.flag("json")) {
      out.println(json().writeValueAsString(Map.of("at", at.toString(), "customers", report.customers(), "segments", report.segments())));
      return 0;
    }
    out.printf("diff at %s over %,d customers: %d segment(s) change%n", at, report.customers(), report.segments().size());
    out.printf("%-32s %-10s %10s %10s %10s %10s  %s%n", "segment", "definition", "before", "after", "entering", "leaving", "samples (+ entering, - leaving)");
    for (MembershipDiff.SegmentDiff d : report.segments()) {
      List<String> sample = new ArrayList<>();
      d.enteringSample().forEach(c -> sample.add("+" + c));
      d.leavingSample().forEach(c -> sample.add("-" + c));
      out.printf("%-32s %-10s %,10d %,10d %,10d %,10d  %s%n", d.segment(), d.definitionChanged() ? "changed" : "same", d.before(), d.after(),
          d.entering(), d.leaving(), String.join(" ", sample));
    }
    return 0;
  }

  private int asOf(ReplayEnvironment env, Options o) throws Exception {
    Instant at = o.positional().orElseThrow(() -> new IllegalArgumentException("as-of needs the instant T"));
    Optional<Instant> knownAt = o.instant("known-at");
    Definitions definitions = env.definitions();
    Optional<String> customer = o.value("customer");
    Optional<String> segment = o.value("segment");
    if (customer.isPresent() == segment.isPresent()) throw new IllegalArgumentException("as-of needs one of --customer ID or --segment ID");
    if (customer.isPresent()) {
      CustomerHistory history = env.decoder().history(env.scan().read(ParallelScan.CUSTOMER_PREFIX + customer.get()));
      if (history.entries().isEmpty()) {
        err.println("customer '" + customer.get() + "' has no journal");
        return 1;
      }
      Profile profile = history.profileAsOf(at, knownAt.orElse(null), definitions.settings().profile());
      Map<String, Membership> segments = profile.isEmpty() ? Map.of() : definitions.settings().engine().evaluate(profile, at);
      if (o.flag("json")) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("customerId", customer.get());
        body.put("asOf", at.toString());
        knownAt.ifPresent(k -> body.put("knownAt", k.toString()));
        body.put("eventCount", profile.eventCount());
        body.put("segments", segments.values());
        out.println(json().writeValueAsString(body));
      } else {
        out.printf("%s as of %s%s: %,d events%n", customer.get(), at, knownAt.map(k -> " (as known at " + k + ")").orElse(""), profile.eventCount());
        for (Membership m : segments.values()) out.printf("  %-32s %s%n", m.segment(), m.values());
      }
      return 0;
    }
    Set<String> members = java.util.concurrent.ConcurrentHashMap.newKeySet();
    ReplaySettings settings = env.settings();
    ParallelScan.histories(env.scan(), env.decoder(), TokenRanges.split(settings.tokenRanges()).ranges(), settings.parallelism(),
        Progress.toStderr("as-of", settings.tokenRanges(), 0), history -> {
          Profile profile = history.profileAsOf(at, knownAt.orElse(null), definitions.settings().profile());
          if (!profile.isEmpty() && definitions.settings().engine().evaluate(profile, at).containsKey(segment.get())) members.add(history.customerId());
        });
    TreeSet<String> sorted = new TreeSet<>(members);
    if (o.flag("json")) {
      out.println(json().writeValueAsString(Map.of("segment", segment.get(), "asOf", at.toString(), "members", sorted.size(), "customers", sorted)));
    } else {
      err.printf("%s as of %s: %,d members%n", segment.get(), at, sorted.size());
      sorted.forEach(out::println);
    }
    return 0;
  }

  private int verify(ReplayEnvironment env, Options o) throws Exception {
    Verify.Report report = new Verify(env).run();
    if (o.flag("json")) {
      out.println(json().writeValueAsString(report));
    } else {
      out.printf("verify: %,d customers, %,d journal events: %s%n", report.customers(), report.events(), report.healthy() ? "healthy" : "PROBLEMS");
      report.problems().forEach((kind, n) -> {
        out.printf("  %-24s %,d%n", kind, n);
        report.samples().get(kind).forEach(s -> out.println("      " + s));
      });
    }
    return report.healthy() ? 0 : 1;
  }

  private int maintain(ReplayEnvironment env, Options o) throws Exception {
    Maintain.Report report = new Maintain(env).run(o.flag("apply"));
    if (o.flag("json")) {
      out.println(json().writeValueAsString(report));
      return 0;
    }
    out.println(report.applied() ? "maintain: deleted" : "maintain: dry run (nothing deleted; --apply deletes)");
    report.deletions().forEach((what, n) -> out.printf("  %-16s %,d%n", what, n));
    report.notes().forEach(note -> out.println("  note: " + note));
    return 0;
  }

  private static ObjectWriter json() {
    return JsonSupport.MAPPER.writer();
  }

  /** Parsed options: {@code --name value}, flags, and at most one positional argument. */
  record Options(Map<String, String> values, Set<String> flags, Optional<Instant> positional) {
    private static final Map<String, Set<String>> VALUES = Map.of(
        "rebuild", Set.of("segments", "customers", "definitions", "config"),
        "diff", Set.of("definitions", "at", "samples", "config"),
        "as-of", Set.of("customer", "segment", "known-at", "config"),
        "verify", Set.of("config"),
        "maintain", Set.of("config"));
    private static final Map<String, Set<String>> FLAGS = Map.of(
        "rebuild", Set.of("restart"), "diff", Set.of("json"), "as-of", Set.of("json"), "verify", Set.of("json"),
        "maintain", Set.of("apply", "json"));

    static Options parse(String command, List<String> args) {
      Map<String, String> values = new LinkedHashMap<>();
      Set<String> flags = new TreeSet<>();
      Optional<Instant> positional = Optional.empty();
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (arg.startsWith("--")) {
          String name = arg.substring(2);
          if (FLAGS.get(command).contains(name)) flags.add(name);
          else if (VALUES.get(command).contains(name)) {
            if (i + 1 >= args.size()) throw new IllegalArgumentException(arg + " needs a value");
            values.put(name, args.get(++i));
          } else throw new IllegalArgumentException("unknown option " + arg);
        } else if (command.equals("as-of") && positional.isEmpty()) {
          positional = Optional.of(instant(arg, "T"));
        } else throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      Options options = new Options(values, flags, positional);
      options.instant("at");
      options.instant("known-at");
      options.value("samples").ifPresent(s -> {
        try {
          if (Integer.parseInt(s) < 0) throw new NumberFormatException();
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--samples must be a number of ids, not '" + s + "'");
        }
      });
      return options;
    }

    Optional<String> value(String name) {
      return Optional.ofNullable(values.get(name));
    }

    boolean flag(String name) {
      return flags.contains(name);
    }

    Set<String> list(String name) {
      Set<String> items = new TreeSet<>();
      value(name).ifPresent(v -> Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).forEach(items::add));
      return items;
    }

    Optional<Instant> instant(String name) {
      return value(name).map(v -> instant(v, "--" + name));
    }

    private static Instant instant(String text, String what) {
      try {
        return Instant.parse(text);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(what + " '" + text + "' is not an ISO-8601 instant such as 2011-11-25T00:00:00Z");
      }
    }
  }
}
