package io.segmentd.insights;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The buyer's journey of many customers over a period, from their journey transitions in event
 * time: who moved from which stage to which, how many went on from each stage within a horizon,
 * how long they stayed, where they stalled, and how each week's newcomers fared. Pure: the
 * transitions come from the read side's changes logs (or anywhere else).
 *
 * <p>A customer is in one journey stage at a time, so its transitions are a chain of stays. A
 * move is an exit and the entry at the same instant; an entry with no stay before is a move from
 * {@link #START}, an exit with no entry after (a merge, an erasure) a move to {@link #LEFT}.
 */
public final class JourneyAnalytics {
  public static final String START = "(start)";
  public static final String LEFT = "(left)";
  public static final String LAPSED = "lapsed";

  private JourneyAnalytics() {}

  /** One journey transition: {@code stage} without the family prefix ({@code consideration}, {@code lapsed}). */
  public record Transition(String customerId, String stage, boolean entered, Instant at) {}

  /** One stay in a stage: {@code exitedAt} and {@code to} null while it lasts; {@code from} the stage before (or START). */
  public record Stay(String customerId, String stage, Instant enteredAt, Instant exitedAt, String from, String to) {}

  /** Moves from one stage to another in the period, and how many customers made them. */
  public record Flow(String from, String to, long moves, long customers) {}

  /**
   * Of the stays in {@code stage} begun in the period, how many reached a later stage of the
   * journey (not lapsed) within the horizon; {@code rate} null when none began.
   */
  public record Conversion(String stage, String next, long entered, long converted, Double rate) {}

  /**
   * The stays in {@code stage} begun in the period: ended ({@code completed}, with the median and
   * 90th percentile of their length in days, nearest rank) or still going ({@code open}); how many ended
   * in {@code lapsed}, and what share of the ended ones that is.
   */
  public record StageTime(String stage, long completed, long open, Double medianDays, Double p90Days, long exitsToLapsed,
                          Double lapsedShare) {}

  /** The customers whose first journey entry fell in the week starting {@code week} (Monday, UTC), and how many reached each stage by the period's end. */
  public record Cohort(LocalDate week, long customers, Map<String, Long> reached) {}

  /**
   * {@code stalls}: the stages of the journey (lapsed aside) in the order of where prospects get
   * stuck: most exits to lapsed first, then the longest median stay.
   */
  public record Report(Instant from, Instant to, Double horizonDays, long customers, List<Flow> flows, List<Conversion> conversions,
                       List<StageTime> stages, List<String> stalls, List<Cohort> cohorts) {}

  /**
   * @param stages the journey's stages in order (the configuration's), lapsed not among them
   */
  public static Report of(List<Transition> transitions, List<String> stages, Instant from, Instant to, Duration horizon) {
    Map<String, List<Stay>> staysByCustomer = stays(transitions);
    List<Stay> all = new ArrayList<>();
    staysByCustomer.values().forEach(all::addAll);

    Set<String> active = new HashSet<>();
    for (Stay s : all) {
      if (s.enteredAt().isBefore(to) && (s.exitedAt() == null || !s.exitedAt().isBefore(from))) active.add(s.customerId());
    }
    List<String> order = new ArrayList<>(stages);
    order.add(LAPSED);
    return new Report(from, to, days(horizon), active.size(), flows(staysByCustomer, from, to, order), conversions(staysByCustomer, stages, from, to, horizon),
        stageTimes(all, order, from, to), stalls(stageTimes(all, stages, from, to)), cohorts(staysByCustomer, order, from, to));
  }

  /** Each customer's transitions as a chain of stays, in event time (exits before entries at one instant). */
  static Map<String, List<Stay>> stays(List<Transition> transitions) {
    Map<String, List<Transition>> byCustomer = new TreeMap<>();
    for (Transition t : transitions) byCustomer.computeIfAbsent(t.customerId(), c -> new ArrayList<>()).add(t);
    Map<String, List<Stay>> stays = new LinkedHashMap<>();
    byCustomer.forEach((customer, own) -> {
      own.sort(Comparator.comparing(Transition::at).thenComparing(Transition::entered));
      List<Stay> chain = new ArrayList<>();
      for (Transition t : own) {
        Stay last = chain.isEmpty() ? null : chain.get(chain.size() - 1);
        boolean lasting = last != null && last.exitedAt() == null;
        if (t.entered()) {
          // An entry while a stay lasts (its exit missing) ends that stay there.
          if (lasting) chain.set(chain.size() - 1, close(last, t.at(), LEFT));
          chain.add(new Stay(customer, t.stage(), t.at(), null, START, null));
        } else if (lasting && last.stage().equals(t.stage())) {
          chain.set(chain.size() - 1, close(last, t.at(), LEFT));
        }
      }
      // An exit and an entry at the same instant are one move, from the one stage to the other.
      for (int i = 0; i + 1 < chain.size(); i++) {
        Stay a = chain.get(i);
        Stay b = chain.get(i + 1);
        if (a.exitedAt().equals(b.enteredAt())) {
          chain.set(i, new Stay(a.customerId(), a.stage(), a.enteredAt(), a.exitedAt(), a.from(), b.stage()));
          chain.set(i + 1, new Stay(b.customerId(), b.stage(), b.enteredAt(), b.exitedAt(), a.stage(), b.to()));
        }
      }
      stays.put(customer, List.copyOf(chain));
    });
    return stays;
  }

  private static Stay close(Stay stay, Instant at, String to) {
    return new Stay(stay.customerId(), stay.stage(), stay.enteredAt(), at, stay.from(), to);
  }

  private static boolean within(Instant t, Instant from, Instant to) {
    return !t.isBefore(from) && t.isBefore(to);
  }

  private static List<Flow> flows(Map<String, List<Stay>> stays, Instant from, Instant to, List<String> order) {
    Map<List<String>, long[]> moves = new HashMap<>();
    Map<List<String>, Set<String>> who = new HashMap<>();
    stays.forEach((customer, chain) -> {
      for (Stay s : chain) {
        if (within(s.enteredAt(), from, to)) count(moves, who, List.of(s.from(), s.stage()), customer);
        // A departure to nowhere (merged, erased) is a move of its own.
        if (s.exitedAt() != null && LEFT.equals(s.to()) && within(s.exitedAt(), from, to)) count(moves, who, List.of(s.stage(), LEFT), customer);
      }
    });
    Comparator<String> byStage = Comparator.comparingInt(stage -> rank(order, stage));
    return moves.entrySet().stream()
        .map(e -> new Flow(e.getKey().get(0), e.getKey().get(1), e.getValue()[0], who.get(e.getKey()).size()))
        .sorted(Comparator.comparing(Flow::from, byStage).thenComparing(Flow::to, byStage))
        .toList();
  }

  /** Where a stage sorts: START first, the journey in order, lapsed, LEFT last. */
  private static int rank(List<String> order, String stage) {
    if (stage.equals(START)) return -1;
    int i = order.indexOf(stage);
    return i >= 0 ? i : order.size();
  }

  private static void count(Map<List<String>, long[]> moves, Map<List<String>, Set<String>> who, List<String> key, String customer) {
    moves.computeIfAbsent(key, k -> new long[1])[0]++;
    who.computeIfAbsent(key, k -> new HashSet<>()).add(customer);
  }

  private static List<Conversion> conversions(Map<String, List<Stay>> stays, List<String> stages, Instant from, Instant to, Duration horizon) {
    List<Conversion> out = new ArrayList<>();
    for (int i = 0; i + 1 < stages.size(); i++) {
      String stage = stages.get(i);
      long entered = 0;
      long converted = 0;
      for (List<Stay> chain : stays.values()) {
        for (Stay s : chain) {
          if (!s.stage().equals(stage) || !within(s.enteredAt(), from, to)) continue;
          entered++;
          Instant until = s.enteredAt().plus(horizon);
          int index = i;
          boolean went = chain.stream().anyMatch(later -> stages.indexOf(later.stage()) > index
              && later.enteredAt().isAfter(s.enteredAt()) && !later.enteredAt().isAfter(until));
          if (went) converted++;
        }
      }
      out.add(new Conversion(stage, stages.get(i + 1), entered, converted, entered == 0 ? null : (double) converted / entered));
    }
    return out;
  }

  private static List<StageTime> stageTimes(List<Stay> all, List<String> order, Instant from, Instant to) {
    List<StageTime> out = new ArrayList<>();
    for (String stage : order) {
      List<Duration> lengths = new ArrayList<>();
      long open = 0;
      long lapsed = 0;
      for (Stay s : all) {
        if (!s.stage().equals(stage) || !within(s.enteredAt(), from, to)) continue;
        if (s.exitedAt() == null) {
          open++;
          continue;
        }
        lengths.add(Duration.between(s.enteredAt(), s.exitedAt()));
        if (LAPSED.equals(s.to())) lapsed++;
      }
      lengths.sort(Comparator.naturalOrder());
      out.add(new StageTime(stage, lengths.size(), open, days(nearestRank(lengths, 0.5)), days(nearestRank(lengths, 0.9)), lapsed,
          lengths.isEmpty() ? null : (double) lapsed / lengths.size()));
    }
    return out;
  }

  /** The nearest-rank percentile of sorted values: the smallest value with at least {@code p} of them at or below it. */
  static Duration nearestRank(List<Duration> sorted, double p) {
    if (sorted.isEmpty()) return null;
    int rank = (int) Math.ceil(p * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  /** Days to three decimals (about a minute and a half): a window's edge lies a nanosecond past its length. */
  private static Double days(Duration d) {
    return d == null ? null : Math.round(d.toNanos() / 86_400_000_000.0) / 1000.0;
  }

  private static List<String> stalls(List<StageTime> journey) {
    return journey.stream()
        .filter(t -> t.completed() > 0)
        .sorted(Comparator.comparingLong(StageTime::exitsToLapsed).reversed()
            .thenComparing(StageTime::medianDays, Comparator.nullsLast(Comparator.reverseOrder())))
        .map(StageTime::stage)
        .toList();
  }

  private static List<Cohort> cohorts(Map<String, List<Stay>> stays, List<String> order, Instant from, Instant to) {
    Map<LocalDate, List<List<Stay>>> byWeek = new TreeMap<>();
    for (List<Stay> chain : stays.values()) {
      if (chain.isEmpty() || !within(chain.get(0).enteredAt(), from, to)) continue;
      LocalDate week = chain.get(0).enteredAt().atZone(ZoneOffset.UTC).toLocalDate().with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
      byWeek.computeIfAbsent(week, w -> new ArrayList<>()).add(chain);
    }
    List<Cohort> out = new ArrayList<>();
    byWeek.forEach((week, chains) -> {
      Map<String, Long> reached = new LinkedHashMap<>();
      for (String stage : order) {
        reached.put(stage, chains.stream().filter(chain -> chain.stream()
            .anyMatch(s -> s.stage().equals(stage) && s.enteredAt().isBefore(to))).count());
      }
      out.add(new Cohort(week, chains.size(), reached));
    });
    return out;
  }
}
