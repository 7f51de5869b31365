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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
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

  /** {@code refused}: events for a customer erased with later events refused (not recorded). */
  public record Recorded(int accepted, int duplicates, int refused) implements CborSerializable {
    public Recorded(int accepted, int duplicates) {
      this(accepted, duplicates, 0);
    }
  }

  // identity

  /**
   * Merges the customer {@code alias} (an anonymous id, a previous user id) into this one: its facts,
   * its own aliases and, from then on, everything sent or asked for it. Idempotent; answered once
   * the merge is in this customer's journal, or with the reason it was not made ({@link Identity#refused}).
   */
  public record Absorb(String alias, ActorRef<StatusReply<Identity>> replyTo) implements Command {}

  /** Which customer answers for this id (itself, or the one it was merged into), and its aliases. */
  public record Resolve(ActorRef<StatusReply<Identity>> replyTo) implements Command {}

  /**
   * Asked of a customer by the one absorbing it: hand over your identity to {@code target}, and
   * send everything to it from now on. Answered once that is in the journal.
   */
  public record Seal(String target, ActorRef<StatusReply<Sealed>> replyTo) implements Command {}

  /** {@code sealed}: the customer belongs to the target now; else {@code owner} is whom it answers as (a cycle is refused). */
  public record Sealed(boolean sealed, String owner) implements CborSerializable {}

  /** {@code refused}: why the alias was not merged (it belongs to another customer already), or null. */
  public record Identity(String customerId, Set<String> aliases, String refused) implements CborSerializable {}

  // erasure

  /**
   * Erases the customer: its memberships end (exits with the cause {@link Cause#ERASURE}) and
   * {@link Erased} is written; the caller then deletes the journal before it and everything derived.
   * Answered with what the caller needs for that.
   */
  public record Erase(boolean refuseLater, ActorRef<StatusReply<Erasure>> replyTo) implements Command {}

  /** {@code erasedAt}: the sequence number of the {@link Erased} marker (everything before it is to go); {@code aliases}: merged into it. */
  public record Erasure(String customerId, long erasedAt, Set<String> aliases) implements CborSerializable {}

  /** The outcome of sealing an alias and reading its journal, piped to the entity itself. */
  record HandedOver(String alias, Identities.Handover handover, String owner, Throwable failure) implements Command {}

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
   * This customer's identity passed to {@code target}: its facts are the target's now (its journal
   * keeps them as they were), its memberships ended (exits with the cause {@link Cause#MERGE}
   * written with this), and whatever is sent or asked for it goes to the target.
   */
  public record MergedInto(String target, Instant recordedAt) implements Event {}

  /**
   * The customer {@code alias} (and its own earlier {@code aliases}) merged into this one; its facts
   * are the {@link EventsRecorded} written with this ({@code events} of them, the ones not already here).
   */
  public record AliasMerged(String alias, Set<String> aliases, int events, Instant recordedAt) implements Event {}

  /**
   * The customer was erased here: what the journal held before this is deleted (this marker stays:
   * it holds nothing but the instant). {@code refuseLater}: events for the id are refused from now
   * on; else they start a new history.
   */
  public record Erased(Instant recordedAt, boolean refuseLater) implements Event {}

  /**
   * Why a transition happened: the message id of the event that caused it (or {@link #TIME}, or
   * {@link #DEFINITION} when a stored definition's version was adopted or retired), the rule
   * version, and the values evaluated.
   */
  public record Cause(String trigger, int ruleVersion, Map<String, String> values) {
    public static final String TIME = "time";
    public static final String DEFINITION = "definition";
    /** A merge of identities: the alias's memberships end; the target's change with the facts it gained. */
    public static final String MERGE = "merge";
    /** The customer was erased: every membership ends. */
    public static final String ERASURE = "erasure";
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
    private final String mergedInto;
    private final Set<String> aliases;
    private final boolean refusing;

    public State(Profile profile, Map<String, Membership> segments, Instant evaluatedAt, RecentMessages recentMessages) {
      this(profile, segments, evaluatedAt, recentMessages, Set.of());
    }

    public State(Profile profile, Map<String, Membership> segments, Instant evaluatedAt, RecentMessages recentMessages,
                 Set<String> definitions) {
      this(profile, segments, evaluatedAt, recentMessages, definitions, null, Set.of(), false);
    }

    /**
     * {@code definitions}: the stored definitions the memberships are evaluated with; {@code mergedInto}:
     * the customer this one's identity passed to (null while it is its own); {@code aliases}: the
     * customers merged into this one. Snapshots from before these were kept have none.
     */
    @JsonCreator
    public State(
        @JsonProperty("profile") Profile profile,
        @JsonProperty("segments") Map<String, Membership> segments,
        @JsonProperty("evaluatedAt") Instant evaluatedAt,
        @JsonProperty("recentMessages") RecentMessages recentMessages,
        @JsonProperty("definitions") Set<String> definitions,
        @JsonProperty("mergedInto") String mergedInto,
        @JsonProperty("aliases") Set<String> aliases,
        @JsonProperty("refusing") boolean refusing) {
      this.profile = profile;
      this.segments = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(segments));
      this.evaluatedAt = evaluatedAt;
      this.recentMessages = recentMessages;
      this.definitions = definitions == null ? Set.of() : Set.copyOf(definitions);
      this.mergedInto = mergedInto;
      this.aliases = aliases == null ? Set.of() : java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(aliases));
      this.refusing = refusing;
    }

    /** Erased with later events refused. */
    public boolean isRefusing() {
      return refusing;
    }

    /** Nothing of the customer is left but its definitions adopted (and, when refusing later events, that). */
    State erased(Instant at, boolean refuseLater) {
      return new State(Profile.EMPTY, Map.of(), later(evaluatedAt, at), null, definitions, null, Set.of(), refuseLater);
    }

    public String getMergedInto() {
      return mergedInto;
    }

    public Set<String> getAliases() {
      return aliases;
    }

    boolean merged() {
      return mergedInto != null;
    }

    /** Its identity passed to {@code target}: nothing of it is its own any more. */
    State mergedInto(String target, Instant at) {
      return new State(Profile.EMPTY, Map.of(), later(evaluatedAt, at), null, definitions, target, aliases, refusing);
    }

    State withAliases(String alias, Set<String> itsAliases) {
      Set<String> all = new java.util.TreeSet<>(aliases);
      all.add(alias);
      all.addAll(itsAliases);
      return new State(profile, segments, evaluatedAt, recentMessages, definitions, mergedInto, all, refusing);
    }

    public Set<String> getDefinitions() {
      return definitions;
    }

    State withDefinitions(Set<String> adopted) {
      return new State(profile, segments, evaluatedAt, recentMessages, adopted, mergedInto, aliases, refusing);
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
      return new State(next, segments, later(evaluatedAt, recordedAt), recent, definitions, mergedInto, aliases, refusing);
    }

    State forSnapshot() {
      return new State(profile, segments, evaluatedAt, recentMessages == null ? null : recentMessages.copy(), definitions, mergedInto, aliases, refusing);
    }

    State withSegment(Membership membership, Instant at) {
      Map<String, Membership> next = new TreeMap<>(segments);
      next.put(membership.segment(), membership);
      return new State(profile, next, later(evaluatedAt, at), recentMessages, definitions, mergedInto, aliases, refusing);
    }

    State withoutSegment(String segment, Instant at) {
      Map<String, Membership> next = new TreeMap<>(segments);
      next.remove(segment);
      return new State(profile, next, later(evaluatedAt, at), recentMessages, definitions, mergedInto, aliases, refusing);
    }

    private static Instant later(Instant a, Instant b) {
      if (a == null) return b;
      if (b == null) return a;
      return a.isAfter(b) ? a : b;
    }
  }

  // ---- behavior ------------------------------------------------------------------------------

  public static void init(ActorSystem<?> system, CustomerSettings settings, Clock clock, ReevaluationScheduler scheduler,
                          Identities identities, CustomerMetrics metrics) {
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings, clock, scheduler, identities, metrics))
            .withStopMessage(Passivate.INSTANCE));
  }

  /** A customer that refuses merges (tests of one entity). */
  public static Behavior<Command> create(String customerId, CustomerSettings settings, Clock clock, ReevaluationScheduler scheduler) {
    return create(customerId, settings, clock, scheduler, Identities.NONE, CustomerMetrics.NONE);
  }

  public static Behavior<Command> create(String customerId, CustomerSettings settings, Clock clock, ReevaluationScheduler scheduler,
                                         Identities identities, CustomerMetrics metrics) {
    return Behaviors.setup(ctx -> {
      metrics.started();
      return Behaviors.withTimers(timers -> new Customer(customerId, settings, clock, scheduler, identities, metrics, ctx, timers));
    });
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
  private final Identities identities;
  private final CustomerMetrics metrics;
  /** When this incarnation began: its recovery's duration is measured from here. */
  private final long startedNanos = System.nanoTime();
  private Instant quietUntil;
  /** The definitions of the command at hand: taken once per command, as stored ones may change meanwhile. */
  private SegmentEngine engine;

  /** Package-private for tests of what needs no running actor (the context and timers may be null then). */
  Customer(String customerId, CustomerSettings settings, Clock clock, ReevaluationScheduler scheduler,
           ActorContext<Command> ctx, TimerScheduler<Command> timers) {
    this(customerId, settings, clock, scheduler, Identities.NONE, CustomerMetrics.NONE, ctx, timers);
  }

  Customer(String customerId, CustomerSettings settings, Clock clock, ReevaluationScheduler scheduler, Identities identities,
           CustomerMetrics metrics, ActorContext<Command> ctx, TimerScheduler<Command> timers) {
    super(
        persistenceId(customerId),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
    this.customerId = customerId;
    this.settings = settings;
    this.clock = clock;
    this.tags = Set.of(tagFor(customerId, settings.tagSlices()));
    this.ctx = ctx;
    this.identities = identities;
    this.metrics = metrics;
    this.schedule = new ScheduleKeeper(customerId, scheduler, clock,
        settings.scheduleRetryMinBackoff(), settings.scheduleRetryMaxBackoff(), ctx, timers);
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    // Merged into another customer: everything sent or asked for this id is the other's now.
    builder.forState(State::merged)
        .onCommand(RecordEvents.class, (state, command) -> forward(state, command))
        .onCommand(GetProfile.class, (state, command) -> forward(state, command))
        .onCommand(Resolve.class, (state, command) -> forward(state, command))
        .onCommand(Absorb.class, (state, command) -> forward(state, command))
        .onCommand(Seal.class, (state, command) ->
            Effect().reply(command.replyTo(), StatusReply.success(new Sealed(command.target().equals(state.getMergedInto()), state.getMergedInto()))))
        .onCommand(Reevaluate.class, (state, command) -> Effect().reply(command.replyTo(), StatusReply.ack()))
        .onCommand(AdoptDefinitions.class, (state, command) -> Effect().reply(command.replyTo(), StatusReply.ack()))
        .onCommand(HandedOver.class, this::onHandedOverWhenMerged)
        .onCommand(Erase.class, this::onErase);
    // Erased with later events refused: nothing is recorded, merged or handed over any more.
    builder.forState(State::isRefusing)
        .onCommand(RecordEvents.class, (state, command) ->
            Effect().reply(command.replyTo(), StatusReply.success(new Recorded(0, 0, command.events().size()))))
        .onCommand(Absorb.class, (state, command) -> Effect().reply(command.replyTo(),
            StatusReply.success(new Identity(customerId, Set.of(), "'" + customerId + "' was erased"))))
        .onCommand(Seal.class, (state, command) -> Effect().reply(command.replyTo(), StatusReply.success(new Sealed(false, customerId))))
        .onCommand(HandedOver.class, (state, command) -> {
          // A merge under way when the customer was erased: the erased id takes nothing over.
          answerAbsorbing(command.alias(), StatusReply.success(new Identity(customerId, Set.of(), "'" + customerId + "' was erased")));
          return Effect().noReply();
        });
    builder.forAnyState()
        .onCommand(RecordEvents.class, (state, command) -> whenReady(() -> onRecordEvents(state, command)))
        .onCommand(GetProfile.class, (state, command) -> whenReady(() -> onGetProfile(state, command)))
        .onCommand(Reevaluate.class, (state, command) -> whenReady(() -> onReevaluate(state, command)))
        .onCommand(AdoptDefinitions.class, (state, command) -> whenReady(() -> onAdoptDefinitions(state, command)))
        .onCommand(Resolve.class, (state, command) ->
            Effect().reply(command.replyTo(), StatusReply.success(new Identity(customerId, state.getAliases(), null))))
        .onCommand(Absorb.class, this::onAbsorb)
        .onCommand(HandedOver.class, (state, command) -> whenReady(() -> onHandedOver(state, command)))
        .onCommand(Seal.class, (state, command) -> whenReady(() -> onSeal(state, command)))
        .onCommand(Erase.class, (state, command) -> whenReady(() -> onErase(state, command)));
    builder.forAnyState()
        .onCommand(RetryHeld.class, this::onRetryHeld)
        .onCommand(ScheduleWritten.class, this::onScheduleWritten)
        .onCommand(RetrySchedule.class, (state, retry) -> {
          schedule.onRetry();
          return Effect().noReply();
        })
        .onCommand(Passivate.class, this::onPassivate);
    return builder.build();
  }

  // ---- erasure -------------------------------------------------------------------------------

  /**
   * Ends every membership and writes the marker; the reply names the marker's sequence number, so
   * the caller deletes exactly what came before it. Asked again, it writes a new marker: the
   * deletions it leads to are the same.
   */
  private ReplyEffect<Event, State> onErase(State state, Erase command) {
    engine = settings.engine();
    Instant now = latest(clock.instant(), state.getEvaluatedAt());
    List<Event> events = new ArrayList<>();
    for (String segment : state.getSegments().keySet()) {
      events.add(new SegmentExited(segment, now, new Cause(Cause.ERASURE, engine.versionOf(segment), Map.of()), now));
    }
    events.add(new Erased(now, command.refuseLater()));
    Set<String> aliases = state.getAliases();
    return persistTimed(events)
        .thenRun(s -> {
          scheduleNext(s, now, false);
          long marker = lastSequenceNumber(ctx);
          schedule.whenCovered(() -> command.replyTo().tell(StatusReply.success(new Erasure(customerId, marker, aliases))));
        })
        .thenNoReply();
  }

  // ---- identity ------------------------------------------------------------------------------

  /** Merges in progress: the alias, and who waits for the outcome. In memory: a merge lost in a restart is asked again. */
  private final Map<String, List<ActorRef<StatusReply<Identity>>>> absorbing = new java.util.HashMap<>();

  /** Whether the customer this one was merged into has been reminded of the merge since this incarnation began. */
  private boolean reminded;

  /**
   * Sends a command on to the customer this one was merged into. The first time in an incarnation
   * that customer is reminded of the merge first: had it failed between this seal and its own
   * write, it completes it now (a no-op when it is done).
   */
  private ReplyEffect<Event, State> forward(State state, Command command) {
    if (!reminded) {
      reminded = true;
      identities.tell(state.getMergedInto(), new Absorb(customerId, ctx.getSystem().ignoreRef()));
    }
    identities.tell(state.getMergedInto(), command);
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onAbsorb(State state, Absorb command) {
    if (command.alias().equals(customerId) || state.getAliases().contains(command.alias())) {
      return Effect().reply(command.replyTo(), StatusReply.success(new Identity(customerId, state.getAliases(), null)));
    }
    List<ActorRef<StatusReply<Identity>>> waiting = absorbing.get(command.alias());
    if (waiting != null) {
      waiting.add(command.replyTo());
      return Effect().noReply();
    }
    absorbing.put(command.alias(), new ArrayList<>(List.of(command.replyTo())));
    String alias = command.alias();
    CompletionStage<HandedOver> handedOver;
    try {
      handedOver = identities.seal(alias, customerId).thenCompose(sealed -> sealed.sealed()
          ? identities.handover(alias, settings.maxAbsorbedEvents()).thenApply(h -> new HandedOver(alias, h, null, null))
          : CompletableFuture.completedFuture(new HandedOver(alias, null, sealed.owner(), null)));
    } catch (RuntimeException e) {
      handedOver = CompletableFuture.failedFuture(e);
    }
    ctx.pipeToSelf(handedOver, (done, failure) -> done != null ? done : new HandedOver(alias, null, null, failure));
    return Effect().noReply();
  }

  /** This customer was merged into another meanwhile: the merge it was making is the other's to make. */
  private ReplyEffect<Event, State> onHandedOverWhenMerged(State state, HandedOver command) {
    List<ActorRef<StatusReply<Identity>>> waiting = absorbing.remove(command.alias());
    if (waiting != null) waiting.forEach(replyTo -> identities.tell(state.getMergedInto(), new Absorb(command.alias(), replyTo)));
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onHandedOver(State state, HandedOver command) {
    String alias = command.alias();
    if (command.failure() != null || command.handover() == null || state.getAliases().contains(alias)) {
      String refused = command.owner() != null ? "'" + alias + "' belongs to '" + command.owner() + "' already"
          : command.failure() instanceof Identities.HistoryTooLong tooLong ? tooLong.getMessage() : null;
      StatusReply<Identity> reply = command.failure() != null && refused == null
          ? StatusReply.error(String.valueOf(command.failure().getMessage()))
          : StatusReply.success(new Identity(customerId, state.getAliases(), refused));
      answerAbsorbing(alias, reply);
      return Effect().noReply();
    }
    engine = settings.engine();
    List<BehaviorEvent> fresh = unseen(state, command.handover().facts());
    Instant now = latest(clock.instant(), state.getEvaluatedAt());
    AliasMerged merged = new AliasMerged(alias, command.handover().aliases(), fresh.size(), now);
    Runnable reply = () -> answerAbsorbing(alias, StatusReply.success(
        new Identity(customerId, new java.util.TreeSet<>(withAlias(state.getAliases(), merged)), null)));
    if (fresh.isEmpty()) {
      return persistTimed(merged).thenRun(s -> reply.run()).thenNoReply();
    }
    return persistFacts(state, fresh, command, List.of(merged), Cause.MERGE, reply);
  }

  private static Set<String> withAlias(Set<String> aliases, AliasMerged merged) {
    Set<String> all = new java.util.TreeSet<>(aliases);
    all.add(merged.alias());
    all.addAll(merged.aliases());
    return all;
  }

  private void answerAbsorbing(String alias, StatusReply<Identity> reply) {
    List<ActorRef<StatusReply<Identity>>> waiting = absorbing.remove(alias);
    if (waiting != null) waiting.forEach(replyTo -> replyTo.tell(reply));
  }

  /**
   * Hands this customer's identity to {@code target}. Refused when that would close a cycle: the
   * target is one of this customer's aliases, or this customer is absorbing the target right now.
   */
  private ReplyEffect<Event, State> onSeal(State state, Seal command) {
    String target = command.target();
    if (target.equals(customerId) || state.getAliases().contains(target) || absorbing.containsKey(target)) {
      return Effect().reply(command.replyTo(), StatusReply.success(new Sealed(false, customerId)));
    }
    engine = settings.engine();
    Instant now = latest(clock.instant(), state.getEvaluatedAt());
    List<Event> events = new ArrayList<>();
    for (String segment : state.getSegments().keySet()) {
      events.add(new SegmentExited(segment, now, new Cause(Cause.MERGE, engine.versionOf(segment), Map.of("mergedInto", target)), now));
    }
    events.add(new MergedInto(target, now));
    return persistTimed(events)
        .thenRun(s -> {
          // Nothing of this customer is left to wake it for: its row in the schedule goes.
          scheduleNext(s, now, false);
          schedule.whenCovered(() -> command.replyTo().tell(StatusReply.success(new Sealed(true, target))));
        })
        .thenNoReply();
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
    List<BehaviorEvent> fresh = unseen(state, command.events());
    int duplicates = command.events().size() - fresh.size();
    Recorded recorded = new Recorded(fresh.size(), duplicates);
    if (fresh.isEmpty()) {
      // A retry may follow a first attempt whose reply never came: it too waits for the schedule.
      schedule.whenCovered(() -> command.replyTo().tell(StatusReply.success(recorded)));
      return Effect().noReply();
    }
    return persistFacts(state, fresh, command, List.of(), null, () -> command.replyTo().tell(StatusReply.success(recorded)));
  }

  /** The events whose message ids this customer has not recorded yet (nor earlier in the list). */
  private static List<BehaviorEvent> unseen(State state, List<BehaviorEvent> events) {
    Set<String> inBatch = new LinkedHashSet<>();
    List<BehaviorEvent> fresh = new ArrayList<>();
    for (BehaviorEvent event : events) {
      if (!state.seen(event.messageId()) && inBatch.add(event.messageId())) fresh.add(event);
    }
    return fresh;
  }

  /**
   * Persists {@code fresh} facts (in one journal event, or in chunks) with the transitions they
   * cause, then {@code {@code trailing}} events, and runs {@code reply} once the next instant is
   * covered in the schedule. {@code retry}: the command to handle again after a catch-up persisted
   * in parts. {@code lateTrigger}: the cause of the transitions of a late batch (null: its latest event).
   */
  private ReplyEffect<Event, State> persistFacts(State state, List<BehaviorEvent> fresh, Command retry, List<Event> trailing,
                                                 String lateTrigger, Runnable reply) {
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
      ctx.getSelf().tell(retry);
      return transitions.events().isEmpty() ? Effect().noReply() : persistTimed(transitions.events()).thenNoReply();
    }
    Profile next = state.getProfile().plus(fresh, now, settings.profile());
    if (inOrder) {
      // Every change at its own event time, the batch folded instant by instant.
      transitions = transitions.walk(engine, state.getProfile(), fresh, now, settings.profile(), settings.maxCatchUpSteps());
    } else {
      String trigger = lateTrigger != null ? lateTrigger : fresh.stream().max(Comparator.comparing(BehaviorEvent::timestamp)
          .thenComparing(BehaviorEvent::messageId)).orElseThrow().messageId();
      transitions = transitions.net(engine, next, t0, now, trigger, settings.maxCatchUpSteps());
    }
    List<Event> events = new ArrayList<>();
    int chunk = settings.factsPerJournalEvent();
    for (int from = 0; from < fresh.size(); from += chunk) {
      events.add(new EventsRecorded(List.copyOf(fresh.subList(from, Math.min(fresh.size(), from + chunk))), now));
    }
    if (events.size() == 1) {
      // The event handler takes this fold as it is rather than folding the batch a second time.
      folded = new Folded((EventsRecorded) events.get(0), next);
    }
    events.addAll(transitions.events());
    events.addAll(trailing);
    // The reply waits until the next instant is covered in the schedule too: a client that hears
    // nothing retries, and that retry finds an entity which announces its instant again.
    return persistTimed(events)
        .thenRun(s -> {
          scheduleNext(s, now, false);
          schedule.whenCovered(reply);
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
    return persistTimed(transitions.events())
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
    return persistTimed(transitions.events())
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
        .onEvent(MergedInto.class, (state, e) -> state.mergedInto(e.target(), e.recordedAt()))
        .onEvent(AliasMerged.class, (state, e) -> state.withAliases(e.alias(), e.aliases()))
        .onEvent(Erased.class, (state, e) -> state.erased(e.recordedAt(), e.refuseLater()))
        .build();
  }

  /** Persists and times the write (journal write latency, as the node's metrics show it). */
  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<Event, State> persistTimed(List<Event> events) {
    long started = System.nanoTime();
    return Effect().persist(events).thenRun(s -> metrics.written(System.nanoTime() - started));
  }

  private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<Event, State> persistTimed(Event event) {
    return persistTimed(List.of(event));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    // A woken customer re-announces its next instant: heals a schedule write that was lost.
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          metrics.recovered(System.nanoTime() - startedNanos);
          scheduleOnStart(state);
        })
        .onSignal(org.apache.pekko.actor.typed.PostStop.instance(), state -> metrics.stopped())
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
