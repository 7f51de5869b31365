package io.segmentd.segmentation.custom;

import io.segmentd.segmentation.Fact;
import io.segmentd.segmentation.FactShape;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/** A node of a custom segment's rule; evaluated as of an instant over the profile's facts. */
public sealed interface Rule {

  /** What a rule sees: the profile, the instant, the built-in memberships, and where to note values. */
  record Context(Profile profile, Instant asOf, Map<String, Membership> memberships, Map<String, String> values) {}

  boolean test(Context context);

  /** Instants after which this rule may answer differently without new events. */
  void candidates(Context context, Consumer<Instant> candidate);

  /** Declares what the rule reads of events, so the profile keeps it. */
  void describe(FactShape.Builder shape);

  record All(List<Rule> rules) implements Rule {
    public boolean test(Context c) {
      boolean all = true;
      for (Rule r : rules) all &= r.test(c); // evaluate every child so all values are recorded
      return all;
    }

    public void candidates(Context c, Consumer<Instant> out) {
      rules.forEach(r -> r.candidates(c, out));
    }

    public void describe(FactShape.Builder shape) {
      rules.forEach(r -> r.describe(shape));
    }
  }

  record Any(List<Rule> rules) implements Rule {
    public boolean test(Context c) {
      boolean any = false;
      for (Rule r : rules) any |= r.test(c);
      return any;
    }

    public void candidates(Context c, Consumer<Instant> out) {
      rules.forEach(r -> r.candidates(c, out));
    }

    public void describe(FactShape.Builder shape) {
      rules.forEach(r -> r.describe(shape));
    }
  }

  record Not(Rule rule) implements Rule {
    public boolean test(Context c) {
      return !rule.test(c);
    }

    public void candidates(Context c, Consumer<Instant> out) {
      rule.candidates(c, out);
    }

    public void describe(FactShape.Builder shape) {
      rule.describe(shape);
    }
  }

  /** Membership of another (built-in) segment; its own family announces when it changes. */
  record InSegment(String segment) implements Rule {
    public boolean test(Context c) {
      return c.memberships().containsKey(segment);
    }

    public void candidates(Context c, Consumer<Instant> out) {}

    public void describe(FactShape.Builder shape) {}
  }

  /** Which events count: by name, optionally with a property equal to a value, within a time range. */
  record Selector(String event, String whereProperty, Object whereEquals, Range range) {
    List<Fact> facts(Context c) {
      return range.facts(c.profile(), c.asOf()).stream()
          .filter(f -> f.name().equals(event))
          .filter(f -> whereProperty == null || equal(f.attributes().get(whereProperty), whereEquals))
          .toList();
    }

    void describe(FactShape.Builder shape) {
      if (whereProperty != null) shape.dimension(whereProperty);
      range.describe(shape);
    }

    private static boolean equal(Object actual, Object expected) {
      if (actual instanceof Number a && expected instanceof Number e) {
        return new BigDecimal(a.toString()).compareTo(new BigDecimal(e.toString())) == 0;
      }
      return expected.equals(actual);
    }
  }

  /**
   * A time range relative to the instant evaluated: a rolling window (see {@link Profile#window}),
   * {@code [from, to)} intersected with {@code (.., asOf]}, or all time.
   */
  sealed interface Range {
    List<Fact> facts(Profile profile, Instant asOf);

    void candidates(List<Fact> inRange, Instant asOf, Consumer<Instant> out);

    void describe(FactShape.Builder shape);

    record Within(Duration window) implements Range {
      public List<Fact> facts(Profile profile, Instant asOf) {
        return profile.window(asOf, window);
      }

      public void candidates(List<Fact> inRange, Instant asOf, Consumer<Instant> out) {
        for (Fact fact : inRange) {
          if (fact.stepEnd() != null) out.accept(fact.stepEnd().plus(window));
        }
      }

      public void describe(FactShape.Builder shape) {
        shape.window(window);
      }
    }

    /** Events at or after {@code start} and before {@code end}: boundaries no group straddles. */
    record Between(Instant start, Instant end) implements Range {
      public List<Fact> facts(Profile profile, Instant asOf) {
        return profile.factsUpTo(asOf).stream().filter(f -> !f.at().isBefore(start) && f.lastAt().isBefore(end)).toList();
      }

      public void candidates(List<Fact> inRange, Instant asOf, Consumer<Instant> out) {}

      public void describe(FactShape.Builder shape) {
        shape.boundary(start).boundary(end);
      }
    }

    record AllTime() implements Range {
      public List<Fact> facts(Profile profile, Instant asOf) {
        return profile.factsUpTo(asOf);
      }

      public void candidates(List<Fact> inRange, Instant asOf, Consumer<Instant> out) {}

      public void describe(FactShape.Builder shape) {}
    }
  }

  enum Function { COUNT, SUM, MIN, MAX }

  enum Comparison {
    GTE, GT, LTE, LT, EQ;

    boolean holds(BigDecimal value, BigDecimal threshold) {
      int c = value.compareTo(threshold);
      return switch (this) {
        case GTE -> c >= 0;
        case GT -> c > 0;
        case LTE -> c <= 0;
        case LT -> c < 0;
        case EQ -> c == 0;
      };
    }
  }

  /** count/sum/min/max of an event (property) compared with a number. */
  record Aggregate(String path, Function function, Selector selector, String property, Comparison comparison, BigDecimal threshold)
      implements Rule {
    public boolean test(Context c) {
      List<Fact> facts = selector.facts(c);
      Optional<BigDecimal> value = switch (function) {
        case COUNT -> Optional.of(BigDecimal.valueOf(facts.stream().mapToLong(Fact::count).sum()));
        case SUM -> Optional.of(measures(facts).map(Fact.Measure::sum).reduce(BigDecimal.ZERO, BigDecimal::add));
        case MIN -> measures(facts).map(Fact.Measure::min).min(BigDecimal::compareTo);
        case MAX -> measures(facts).map(Fact.Measure::max).max(BigDecimal::compareTo);
      };
      c.values().put(path, value.map(BigDecimal::toPlainString).orElse("none"));
      return value.isPresent() && comparison.holds(value.get(), threshold);
    }

    /** The property's numbers in each group (strings that read as numbers count; anything else does not). */
    private java.util.stream.Stream<Fact.Measure> measures(List<Fact> facts) {
      return facts.stream().map(f -> f.measures().get(property)).filter(m -> m != null && m.count() > 0);
    }

    public void candidates(Context c, Consumer<Instant> out) {
      selector.range().candidates(selector.facts(c), c.asOf(), out);
    }

    public void describe(FactShape.Builder shape) {
      selector.describe(shape);
      if (function != Function.COUNT) shape.measure(property);
    }
  }

  /**
   * The last (or first) occurrence of an event: {@code within} d means it happened in
   * {@code (asOf - d, asOf]}; {@code moreThan} d means it happened, longer than d ago.
   */
  record Occurrence(String path, boolean last, Selector selector, Duration within, Duration moreThan) implements Rule {
    public boolean test(Context c) {
      Optional<Instant> at = occurrence(c);
      c.values().put(path, at.map(Instant::toString).orElse("never"));
      if (at.isEmpty()) return false;
      Duration ago = Duration.between(at.get(), c.asOf());
      if (within != null) return ago.compareTo(within) < 0;
      return ago.compareTo(moreThan) > 0;
    }

    private Optional<Instant> occurrence(Context c) {
      List<Fact> facts = selector.facts(c);
      if (facts.isEmpty()) return Optional.empty();
      return last
          ? facts.stream().map(Fact::lastAt).max(Instant::compareTo)
          : facts.stream().map(Fact::at).min(Instant::compareTo);
    }

    public void candidates(Context c, Consumer<Instant> out) {
      occurrence(c).ifPresent(at -> out.accept(within != null ? at.plus(within) : at.plus(moreThan).plusNanos(1)));
      // The occurrence itself changes when a fact leaves the selector's own window.
      selector.range().candidates(selector.facts(c), c.asOf(), out);
    }

    public void describe(FactShape.Builder shape) {
      selector.describe(shape);
    }
  }
}
