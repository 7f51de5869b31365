package io.segmentd.customer;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.segmentd.common.CborSerializable;
import io.segmentd.segmentation.BehaviorEvent;
import io.segmentd.segmentation.Membership;
import io.segmentd.segmentation.Profile;
import io.segmentd.segmentation.PurchasingFamily;
import io.segmentd.segmentation.SegmentEngine;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.Done;
import java.time.Duration;

/**
 * One customer: its behavioral facts in its own journal, its profile and its current segments.
 *
 * <p>A batch of events and the segment transitions it causes are persisted atomically, and the
 * sender hears back only after the journal has confirmed the write. Message ids already seen are
 * acknowledged without being persisted again. Only transitions are tagged: they are all the read
 * side needs. The customer's next time-driven instant is kept in the schedule by a {@link
 * ScheduleKeeper}.
 */
public final class Customer
    extends EventSourcedBehaviorWithEnforcedReplies<Customer.Command, Customer.Event, Customer.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Customer");
  public static final String TAG_PREFIX = "segments-";

  // ---- commands ------------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable {}

  /** Records a batch of events; all of them are persisted, or none. */
  public record RecordEvents(List<BehaviorEvent> events, ActorRef<StatusReply<Recorded>> replyTo)
      implements Command {}

  /** Reads the profile with segments evaluated as of {@code asOf} (now when null). */
  public record GetProfile(Instant asOf, ActorRef<StatusReply<CustomerView>> replyTo) implements Command {}

  /** Sent when a scheduled instant is due: persists the transitions time alone has caused. */
  public record Reevaluate(Instant due, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /**
   * Sent by the backfill of a stored definition's new version: evaluate the definitions this node
   * runs now and record the transitions they cause. Answered with an error when this node does not
   * know all of {@code segments} yet (the backfill asks again).
   */
  public record AdoptDefinitions(Set<String> segments, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record Recorded(int accepted, int duplicates) implements CborSerializable {}

  /**
   * What sharding sends instead of stopping the entity (passivation, hand-off): it stops once its
   * next instant is covered in the schedule, so a quiet customer is never left with nothing that
   * will wake it.
   */
  enum Passivate implements Command { INSTANCE }

  /** The outcome of a schedule write, piped to the entity itself (never leaves the node). */
  record ScheduleWritten(long generation, Instant row, Throwable failure) implements Command {}

  /** Time to retry a failed schedule write (a timer of the entity itself). */
  enum RetrySchedule implements Command { INSTANCE }

  /** Time to look again whether the definitions are read, to handle the commands held meanwhile. */
  enum RetryHeld implements Command { INSTANCE }

  /**
   * What callers need of a customer as of {@code asOf}: its totals, segments with the values behind
   * each, and {@code recorded}, the memberships of its persisted transitions (what the read side must
   * show). Built in the entity and small whatever the history: the profile itself never leaves the
   * entity, as a reply may cross nodes. {@code exact}: the state answers for {@code asOf} exactly
   * as a fold of the journal would (see {@link Profile#exactAt}); callers fold the journal otherwise.
   */
  public record CustomerView(String customerId, Instant asOf, long eventCount, Instant firstSeenAt, Instant lastSeenAt,
                             Profile.Purchasing purchasing, PurchasingFamily.Rfm rfm, Map<String, Membership> segments,
                             Set<String> recorded, boolean exact)
      implements CborSerializable {
    public boolean exists() {
      return eventCount > 0;
    }

    /**
     * Whether every field answers for {@code asOf}: the segments are exact there and no fact is
     * later (the totals count the whole state). Else callers fold the journal up to {@code asOf}.
     */
    public boolean exactInEveryField() {
      return exact && (lastSeenAt == null || !asOf.isBefore(lastSeenAt));
    }

    /** The view of {@code profile} as of {@code asOf}: the entity's, or that of a fold of the journal. */
    public static CustomerView of(String customerId, Instant asOf, Profile profile, io.segmentd.segmentation.SegmentEngine engine,
                                  Set<String> recorded, boolean exact) {
      return new CustomerView(customerId, asOf, profile.eventCount(), profile.firstSeenAt(), profile.lastSeenAt(),
          profile.purchasingAsOf(asOf), engine.rfm(profile, asOf).orElse(null), engine.evaluate(profile, asOf),
          recorded, exact);
    }
  }

  // ---- events --------------------------------------------------------------------------------

  public sealed interface Event extends CborSerializable {}

  /** The facts of one accepted batch (duplicates already removed), and when they were recorded. */
  public record EventsRecorded(List<BehaviorEvent> events, Instant recordedAt) implements Event {}

  /**
   * A transition carries two times: {@code at}, the event time from which the membership holds
   * (what the rules say), and {@code recordedAt}, the entity's clock when it was written (when
   * segmentd learned it). Journal events written before the second time was kept have none: it
   * reads as {@code at}, which is what they were stamped with.
   */
  public record SegmentEntered(String segment, Instant at, Cause cause, Instant recordedAt) implements Event {
    public SegmentEntered {
      recordedAt = recordedAt != null ? recordedAt : at;
    }
  }

  /** See {@link SegmentEntered} for the two times; the cause's values are those that ended the membership. */
  public record SegmentExited(String segment, Instant at, Cause cause, Instant recordedAt) implements Event {
    public SegmentExited {
      recordedAt = recordedAt != null ? recordedAt : at;
    }
  }

  /**
   * The stored definitions (versioned ids, {@code custom:<name>@<version>}) the memberships are
   * evaluated with from now on; written with the transitions their adoption caused.
   */
  public record DefinitionsAdopted(Set<String> definitions, Instant recordedAt) implements Event {}

  /**
   * Why a transition happened: the message id of the event that caused it (or {@link #TIME}, or
   * {@link #DEFINITION} when a stored definition's version was adopted or retired), the rule
   * version, and the values evaluated.
   */
  public record Cause(String trigger, int ruleVersion, Map<String, String> values) {
    public static final String TIME = "time";
    public static final String DEFINITION = "definition";
  }

  // ---- state ---------------------------------------------------------------------------------

  /**
   * Profile, current memberships (which segments only: their values are in the transitions), the
   * instant they were last evaluated at, and the message ids recorded within the retry window. The
   * profile is immutable; the remembered ids are not (a copy per batch would cost as much as the
   * ids), so snapshots get a copy ({@link #snapshotAdapter}).
   */
  public static final class State implements CborSerializable {
    public static final State EMPTY = new State(Profile.EMPTY, Map.of(), null, null, Set.of());

    private final Profile profile;
    private final Map<String, Membership> segments;
    private final Instant evaluatedAt;
    private final RecentMessages recentMessages;
    private final Set<String> definitions;

    public State(Profile profile, Map<String, Membership> segments, Instant evaluatedAt, RecentMessages recentMessages) {
      this(profile, segments, evaluatedAt, recentMessages, Set.of());
    }

    /** {@code definitions}: the stored definitions the memberships are evaluated with (none in snapshots from before them). */
    @JsonCreator
    public State(
        @JsonProperty("profile") Profile profile,
        @JsonProperty("segments") Map<String, Membership> segments,
        @JsonProperty("evaluatedAt") Instant evaluatedAt,
        @JsonProperty("recentMessages") RecentMessages recentMessages,
        @JsonProperty("definitions") Set<String> definitions) {
      this.profile = profile;
      this.segments = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(segments));
      this.evaluatedAt = evaluatedAt;
      this.recentMessages = recentMessages;
      this.definitions = definitions == null ? Set.of() : Set.copyOf(definitions);
    }

    public Set<String> getDefinitions() {
      return definitions;
    }

    State withDefinitions(Set<String> adopted) {
      return new State(profile, segments, evaluatedAt, recentMessages, adopted);
    }

    public Instant getEvaluatedAt() {
      return evaluatedAt;
    }

    public Profile getProfile() {
      return profile;
    }

    public Map<String, Membership> getSegments() {
      return segments;
    }

    public RecentMessages getRecentMessages() {
      return recentMessages;
    }

    boolean seen(String messageId) {
      return recentMessages != null && recentMessages.seen(messageId);
    }

    /** {@code folded}: the profile with these events already folded in (by the command handler), or null. */
    State withEvents(List<BehaviorEvent> events, Instant recordedAt, CustomerSettings settings, Profile folded) {
      RecentMessages recent = recentMessages != null ? recentMessages : new RecentMessages();
      recent.record(events.stream().map(BehaviorEvent::messageId).toList(), recordedAt, settings.retryWindow(),
          settings.maxRememberedIds());
      Profile next = folded != null ? folded : profile.plus(events, recordedAt, settings.profile());
      return new State(next, segments, later(evaluatedAt, recordedAt), recent, definitions);
    }

    State forSnapshot() {
      return new State(profile, segments, evaluatedAt, recentMessages == null ? null : recentMessages.copy(), definitions);
    }

    State withSegment(Membership membership, Instant at) {
      Map<String, Membership> next = new TreeMap<>(segments);
      next.put(membership.segment(), membership);
      return new State(profile, next, later(evaluatedAt, at), recentMessages, definitions);
    }

    State withoutSegment(String segment, Instant at) {
      Map<String, Membership> next = new TreeMap<>(segments);
      next.remove(segment);
      return new State(profile, next, later(evaluatedAt, at), recentMessages, definitions);
    }

    private static Instant later(Instant a, Instant b) {
      if (a == null) return b;
      if (b == null) return a;
      return a.isAfter(b) ? a : b;
    }
  }

  // ---- behavior ------------------------------------------------------------------------------

  public static void init(ActorSystem<?> system, CustomerSettings settings, Clock clock, ReevaluationScheduler scheduler) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings, clock, scheduler))
            .withStopMessage(Passivate.INSTANCE));
  }

  public static Behavior<Command> create(String customerId, CustomerSettings settings, Clock clock, ReevaluationScheduler scheduler) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Customer(customerId, settings, clock, scheduler, ctx, timers)));
  }

  public static PersistenceId persistenceId(String customerId) {
    return PersistenceId.of(ENTITY_KEY.name(), customerId);
  }

  public static String tagFor(String customerId, int slices) {
    return TAG_PREFIX + Math.floorMod(customerId.hashCode(), slices);
  }

  private final String customerId;
  private final CustomerSettings settings;
  private final Clock clock;
  private final Set<String> tags;
  private final ScheduleKeeper schedule;
  private final ActorContext<Command> ctx;
  private Instant quietUntil;
  /** The definitions of the command at hand: taken once per command, as stored ones may change meanwhile. */
  private SegmentEngine engine;

  /** Package-private for tests of what needs no running actor (the context and timers may be null then). */
  Customer(String customerId, CustomerSettings settings, Clock clock, ReevaluationScheduler scheduler,
           ActorContext<Command> ctx, TimerScheduler<Command> timers) {
    super(
        persistenceId(customerId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.customerId = customerId;
    this.settings = settings;
    this.clock = clock;
    this.tags = Set.of(tagFor(customerId, settings.tagSlices()));
    this.ctx = ctx;
    this.schedule = new ScheduleKeeper(customerId, scheduler, clock,
        settings.scheduleRetryMinBackoff(), settings.scheduleRetryMaxBackoff(), ctx, timers);
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(RecordEvents.class, (state, command) -> whenReady(() -> onRecordEvents(state, command)))
        .onCommand(GetProfile.class, (state, command) -> whenReady(() -> onGetProfile(state, command)))
        .onCommand(Reevaluate.class, (state, command) -> whenReady(() -> onReevaluate(state, command)))
        .onCommand(AdoptDefinitions.class, (state, command) -> whenReady(() -> onAdoptDefinitions(state, command)))
        .onCommand(RetryHeld.class, this::onRetryHeld)
        .onCommand(ScheduleWritten.class, this::onScheduleWritten)
        .onCommand(RetrySchedule.class, (state, retry) -> {
          schedule.onRetry();
          return Effect().noReply();
        })
        .onCommand(Passivate.class, this::onPassivate)
        .build();
  }

  private boolean holding;

  /**
   * Until the node has read the stored definitions, commands wait (stashed): evaluating without
   * them would take customers out of segments they are in.
   */
  private ReplyEffect<Event, State> whenReady(java.util.function.Supplier<ReplyEffect<Event, State>> handle) {
    if (settings.engines().ready()) return handle.get();
    if (!holding) {
      holding = true;
      ctx.scheduleOnce(HOLD_RETRY, ctx.getSelf(), RetryHeld.INSTANCE);
    }
    return Effect().stash();
  }

  private static final Duration HOLD_RETRY = Duration.ofMillis(200);

  private ReplyEffect<Event, State> onRetryHeld(State state, RetryHeld retry) {
    if (settings.engines().ready()) {
      holding = false;
      // The Java DSL offers unstashing only as a plain Effect; every effect it builds is a ReplyEffect too.
      return (ReplyEffect<Event, State>) Effect().none().thenUnstashAll();
    }
    ctx.scheduleOnce(HOLD_RETRY, ctx.getSelf(), RetryHeld.INSTANCE);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onRecordEvents(State state, RecordEvents command) {
    engine = settings.engine();
    Set<String> inBatch = new LinkedHashSet<>();
    List<BehaviorEvent> fresh = new ArrayList<>();
    for (BehaviorEvent event : command.events()) {
      if (!state.seen(event.messageId()) && inBatch.add(event.messageId())) fresh.add(event);
    }
    int duplicates = command.events().size() - fresh.size();
    Recorded recorded = new Recorded(fresh.size(), duplicates);
    if (fresh.isEmpty()) {
      // A retry may follow a first attempt whose reply never came: it too waits for the schedule.
      schedule.whenCovered(() -> command.replyTo().tell(StatusReply.success(recorded)));
      return Effect().noReply();
    }
    // Never before what was already evaluated (another node's clock may have been ahead).
    Instant now = latest(clock.instant(), state.getEvaluatedAt());
    Instant since = evaluatedSince(state);
    Instant t0 = fresh.stream().map(BehaviorEvent::timestamp).min(Comparator.naturalOrder()).orElseThrow();
    // In order (the live case): nothing in the batch happened before what was evaluated already.
    boolean inOrder = since == null || !t0.isBefore(since);
    // Transitions that time alone caused before the batch's first event come first, at their own
    // instants, under the profile without the batch (a late batch has nothing before its first event to catch up).
    Instant catchUpTo = inOrder ? earliest(now, t0.minusNanos(1)) : since;
    Transitions transitions = catchUp(state, catchUpTo, now);
    if (!transitions.complete()) {
      // A long catch-up (after an outage) is persisted in parts, each within one command; the batch follows the last.
      quietUntil = transitions.reached();
      ctx.getSelf().tell(command);
      return transitions.events().isEmpty() ? Effect().noReply() : Effect().persist(transitions.events()).thenNoReply();
    }
    Profile next = state.getProfile().plus(fresh, now, settings.profile());
    if (inOrder) {
      // Every change at its own event time, the batch folded instant by instant.
      transitions = transitions.walk(engine, state.getProfile(), fresh, now, settings.profile(), settings.maxCatchUpSteps());
    } else {
      String trigger = fresh.stream().max(Comparator.comparing(BehaviorEvent::timestamp)
          .thenComparing(BehaviorEvent::messageId)).orElseThrow().messageId();
      transitions = transitions.net(engine, next, t0, now, trigger, settings.maxCatchUpSteps());
    }
    EventsRecorded recordedEvent = new EventsRecorded(List.copyOf(fresh), now);
    // The event handler takes this fold as it is rather than folding the batch a second time.
    folded = new Folded(recordedEvent, next);
    List<Event> events = new ArrayList<>();
    events.add(recordedEvent);
    events.addAll(transitions.events());
    // The reply waits until the next instant is covered in the schedule too: a client that hears
    // nothing retries, and that retry finds an entity which announces its instant again.
    return Effect().persist(events)
        .thenRun(s -> {
          scheduleNext(s, now, false);
          schedule.whenCovered(() -> command.replyTo().tell(StatusReply.success(recorded)));
        })
        .thenNoReply();
  }

  /** The time-caused changes since the last evaluation, starting from the next change announced then when it still holds. */
  private Transitions catchUp(State state, Instant until, Instant now) {
    Instant since = evaluatedSince(state);
    Optional<Instant> first = announced != null && announced.profile() == state.getProfile() && announced.asOf().equals(since)
        && announced.engine() == engine ? announced.next() : since == null ? Optional.empty() : engine.nextChange(state.getProfile(), since);
    // Stored definitions changed since the last evaluation apply from it on, before anything else.
    return Transitions.from(state.getSegments(), now)
        .adopt(engine, state.getProfile(), state.getDefinitions(), since == null ? now : since)
        .catchUp(engine, first, state.getProfile(), since, until, settings.maxCatchUpSteps());
  }

  /** The next change last announced to the schedule, and for which profile and instant: the next command starts from it. */
  private record Announced(Profile profile, Instant asOf, Optional<Instant> next, SegmentEngine engine) {}

  private Announced announced;

  /** A batch's profile, folded by the command handler, waiting for its event to be applied. */
  private record Folded(EventsRecorded event, Profile profile) {}

  private Folded folded;

  private State applyRecorded(State state, EventsRecorded event) {
    Profile profile = folded != null && folded.event() == event ? folded.profile() : null;
    folded = null;
    return state.withEvents(event.events(), event.recordedAt(), settings, profile);
  }

  private ReplyEffect<Event, State> onReevaluate(State state, Reevaluate command) {
    engine = settings.engine();
    // The due instant has passed by definition, whatever this node's clock says.
    Instant now = latest(latest(clock.instant(), command.due()), state.getEvaluatedAt());
    Transitions transitions = catchUp(state, now, now);
    // A catch-up cut short goes on at once: the instant reached is due already.
    Instant walked = transitions.complete() ? now : transitions.reached();
    if (transitions.events().isEmpty()) {
      // Nothing changed up to here: later walks start here (catching up again would find the same).
      quietUntil = walked;
      scheduleAfter(state, walked, transitions.complete());
      schedule.whenConfirmed(() -> command.replyTo().tell(StatusReply.ack()));
      return Effect().noReply();
    }
    // The waker deletes the row it woke us for once we reply: not before the next one is durable.
    return Effect().persist(transitions.events())
        .thenRun(s -> {
          scheduleAfter(s, walked, transitions.complete());
          schedule.whenConfirmed(() -> command.replyTo().tell(StatusReply.ack()));
        })
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onAdoptDefinitions(State state, AdoptDefinitions command) {
    engine = settings.engine();
    Set<String> missing = new java.util.TreeSet<>(command.segments());
    missing.removeAll(Transitions.storedDefinitions(engine));
    if (!missing.isEmpty()) {
      return Effect().reply(command.replyTo(), StatusReply.error("definitions " + missing + " are not known on this node yet"));
    }
    if (state.getProfile().isEmpty()) return Effect().reply(command.replyTo(), StatusReply.ack());
    Instant now = latest(clock.instant(), state.getEvaluatedAt());
    Transitions transitions = catchUp(state, now, now);
    Instant walked = transitions.complete() ? now : transitions.reached();
    if (transitions.events().isEmpty()) {
      schedule.whenCovered(() -> command.replyTo().tell(StatusReply.ack()));
      return Effect().noReply();
    }
    return Effect().persist(transitions.events())
        .thenRun(s -> {
          scheduleAfter(s, walked, transitions.complete());
          schedule.whenCovered(() -> command.replyTo().tell(StatusReply.ack()));
        })
        .thenNoReply();
  }

  private void scheduleAfter(State state, Instant walked, boolean complete) {
    if (complete) scheduleNext(state, walked, true);
    else schedule.want(walked, true);
  }

  private ReplyEffect<Event, State> onScheduleWritten(State state, ScheduleWritten written) {
    schedule.onWritten(written);
    return schedule.stopRequested() && schedule.mayStop() ? Effect().stop().thenNoReply() : Effect().noReply();
  }

  private ReplyEffect<Event, State> onPassivate(State state, Passivate passivate) {
    if (schedule.mayStop()) return Effect().stop().thenNoReply();
    // Sharding buffers what arrives for us meanwhile, and hands it to the next incarnation.
    schedule.holdStop();
    return Effect().noReply();
  }

  /** Where a catch-up walk starts: the last persisted evaluation, or a later one that changed nothing. */
  private Instant evaluatedSince(State state) {
    return latest(state.getEvaluatedAt(), quietUntil);
  }

  private static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static Instant latest(Instant a, Instant b) {
    if (a == null) return b;
    if (b == null) return a;
    return a.isAfter(b) ? a : b;
  }

  /** After a (re)start: an edge that passed while nobody was scheduled for it is due at once. */
  private void scheduleOnStart(State state) {
    engine = settings.engine();
    Instant now = clock.instant();
    if (state.getEvaluatedAt() != null) {
      var overdue = engine.nextChange(state.getProfile(), state.getEvaluatedAt()).filter(due -> !due.isAfter(now));
      if (overdue.isPresent()) {
        schedule.want(now, false);
        return;
      }
    }
    scheduleNext(state, now, false);
  }

  /** {@code rewrite}: write the instant even if unchanged (a wake-up consumed the row it came from). */
  private void scheduleNext(State state, Instant now, boolean rewrite) {
    Optional<Instant> next = engine.nextChange(state.getProfile(), now);
    announced = new Announced(state.getProfile(), now, next, engine);
    schedule.want(next.orElse(null), rewrite);
  }

  private ReplyEffect<Event, State> onGetProfile(State state, GetProfile command) {
    engine = settings.engine();
    Instant asOf = command.asOf() != null ? command.asOf() : clock.instant();
    Profile profile = state.getProfile();
    return Effect().reply(command.replyTo(), StatusReply.success(CustomerView.of(customerId, asOf, profile, engine,
        Set.copyOf(state.getSegments().keySet()), profile.exactAt(asOf, settings.profile()))));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(EventsRecorded.class, this::applyRecorded)
        .onEvent(SegmentEntered.class, (state, e) ->
            // Only which segments: the values behind each are in the event (its cause) and evaluated afresh when asked.
            state.withSegment(new Membership(e.segment(), Map.of()), e.at()))
        .onEvent(SegmentExited.class, (state, e) -> state.withoutSegment(e.segment(), e.at()))
        .onEvent(DefinitionsAdopted.class, (state, e) -> state.withDefinitions(e.definitions()))
        .build();
  }

  @Override
  public SignalHandler<State> signalHandler() {
    // A woken customer re-announces its next instant: heals a schedule write that was lost.
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::scheduleOnStart)
        .build();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    // Transitions only: they are all the read side reads.
    return event instanceof SegmentEntered || event instanceof SegmentExited ? tags : Set.of();
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    // The remembered ids mutate with the next batch while the snapshot store serializes: it gets a copy.
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return state.forSnapshot();
      }

      @Override
      public State fromJournal(Object from) {
        return (State) from;
      }
    };
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), settings.keepSnapshots());
  }
}
