package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskId;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import dev.weir.engine.WeirException;
import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.config.Durations;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.TableStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The supervisor of one run. Opens the store, takes the instance lock, plans (every cache key before
 * anything runs), spawns a {@link StageRun} per stage that has work, hands tasks to their stages as
 * their inputs become ready (within {@code max-parallelism}), retries transient failures with
 * backoff, commits or aborts stages, and completes the {@link Result}. All run state lives here, as
 * actor state; store and user code run on the blocking dispatcher and report with {@code pipeToSelf}.
 *
 * <p><b>Failure path.</b> Every task and stage status change goes through one guarded transition
 * ({@link TaskStatus}, {@link StageStatus}). An exception in a handler here — an illegal transition
 * among them — or a stage actor that stops without reporting its end fails the run with that error:
 * the run stops starting work, asks every live stage to abort (a stage lets its running tasks end
 * first, interrupted, so their Arrow data comes back and is freed), waits for the stage actors to stop, then
 * releases the lock and the run's allocator and completes the {@link Result}. Should even that fail,
 * {@code PostStop} releases the lock and completes the result exceptionally.
 */
public final class FlowRun extends AbstractBehavior<FlowRun.Command> {

    public sealed interface Command {
    }

    private record Prepared(Prepare prepare, Throwable error) implements Command {
    }

    private record Opened(TableStore store, Throwable error) implements Command {
    }

    /**
     * One attempt at the instance lock: the held lock, or null when another run holds it. {@code holder} is
     * null while the wait goes on; on the attempt made after the deadline it names that run when the store
     * can tell (else empty), and the run gives up. The attempt decides, not the reply's arrival: a reply
     * arriving after the deadline from an attempt made before it leads to one more attempt.
     */
    private record LockTried(LockManager.Lock lock, String holder, Throwable error) implements Command {
    }

    private record PollLock() implements Command {
    }

    /**
     * Cancels the run: waiting for the lock or planning, it ends without running anything; running, its
     * tasks are interrupted, its open stages rolled back, and the lock released. The result fails with a
     * {@link dev.weir.engine.RunCancelledException}. A run already finishing ignores it.
     */
    public record Cancel(String reason) implements Command {
    }

    record StageBegun(String stage, Throwable error) implements Command {
    }

    record TaskFinished(TaskOutcome outcome) implements Command {
    }

    record StageEnded(String stage, boolean committed, Throwable error, String reason) implements Command {
    }

    private record Retry(TaskId task) implements Command {
    }

    private record Released(Throwable error) implements Command {
    }

    /** What preparing a run yields: the open store, the held lock, the plan, the planner that finishes it. */
    private record Prepare(TableStore store, LockManager.Lock lock, Plan plan, Planner planner) {
    }

    /** The run's own abort of a stage whose actor stopped without ending it. */
    private record StageDropped(String stage, Throwable error) implements Command {
    }

    private final RunServices services;
    private final Flow flow;
    private final InstanceConfig config;
    private final RunOptions options;
    private final CompletableFuture<Result> promise;
    private final TimerScheduler<Command> timers;
    private final long startNanos = System.nanoTime();
    private final java.time.Instant startedAt = java.time.Instant.now();
    /** The run took the instance lock at some point: it is recorded in the store at its end ({@link #finish}). */
    private boolean lockTaken;
    private final int blockingThreads;

    private static final Object LOCK_POLL_TIMER = "lock-poll";
    /** The wait for the instance lock, from the store's opening. */
    private LockWait lockWait;
    /** A tryAcquire is on its way; without one, a run waiting for the lock waits only on its timer. */
    private boolean lockPending;
    /** Why the run was cancelled, or null. */
    private String cancelled;

    private TableStore store;
    private LockManager.Lock lock;
    private Plan plan;
    private Planner planner;
    private BufferAllocator runAllocator;
    private TaskExecution execution;
    private InlineHandOver inline;
    private TaskInputs inputs;
    private final Map<TaskId, TaskStatus> status = new LinkedHashMap<>();
    private final Map<TaskId, OutputSet> outputs = new HashMap<>();
    private final Map<TaskId, TaskResult> results = new LinkedHashMap<>();
    private final Map<TaskId, List<TaskResult.ChunkState>> chunkStates = new HashMap<>();
    private final Map<TaskId, Map<Integer, String>> chunkNodes = new HashMap<>();
    private final Map<TaskId, Integer> attempts = new HashMap<>();
    private final Map<TaskId, Double> seconds = new HashMap<>();
    private final Map<String, StageStatus> stages = new LinkedHashMap<>();
    private final Map<String, ActorRef<StageRun.Command>> stageRuns = new HashMap<>();
    /** Stages whose actor has not stopped yet. */
    private final Set<String> liveStages = new HashSet<>();
    private final List<Throwable> failures = new ArrayList<>();
    private int running;
    private boolean stopping;
    private boolean finishing;
    /**
     * A step of preparing (opening the store, an attempt at the lock, planning) is under way: its answer
     * may bring the lock, so a failed run waits for it before it ends.
     */
    private boolean preparing = true;

    static Behavior<Command> create(RunServices services, Flow flow, InstanceConfig config, RunOptions options,
                                    CompletableFuture<Result> promise) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new FlowRun(ctx, timers, services, flow, config, withAdapter(ctx, options.forRun()), promise)));
    }

    /** Options whose event consumer, if any, is replaced by an actor that calls it on a thread of its own. */
    private static RunOptions withAdapter(ActorContext<Command> ctx, RunOptions options) {
        if (options.eventConsumer() == null) {
            return options;
        }
        ActorRef<RunEvent> adapter = ctx.getSystem().systemActorOf(
                RunListenerAdapter.create(options.eventConsumer(), options.runId(), ctx.getSelf()),
                "run-listener-" + java.util.UUID.randomUUID(), org.apache.pekko.actor.typed.Props.empty());
        return options.listener(adapter);
    }

    private FlowRun(ActorContext<Command> context, TimerScheduler<Command> timers, RunServices services, Flow flow,
                    InstanceConfig config, RunOptions options, CompletableFuture<Result> promise) {
        super(context);
        this.timers = timers;
        this.services = services;
        this.flow = flow;
        this.config = config.withCacheValidation(options.cacheValidationOn(config.cacheValidation()));
        this.options = options;
        this.promise = promise;
        com.typesafe.config.Config settings = context.getSystem().settings().config();
        String threads = Engine.BLOCKING_DISPATCHER + ".thread-pool-executor.fixed-pool-size";
        this.blockingThreads = settings.hasPath(threads) ? settings.getInt(threads) : Integer.MAX_VALUE;
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> {
            TableStore opened = services.stores().open(this.config.tableStore());
            StageClaims.checkNames(flow, opened); // before the lock: a name the store cannot hold fails at once
            if (options.chunkPlacement() != null) {
                options.chunkPlacement().admit(flow.name(), this.config.instanceName(), opened.kind());
            }
            return opened;
        }, services.blocking()), Opened::new);
    }

    /** The instance lock's name in the store's lock manager. */
    private String lockName() {
        return LockManager.instanceLock(config.instanceId());
    }

    private Behavior<Command> onOpened(Opened msg) {
        preparing = false;
        if (msg.error() != null) {
            return onPrepared(new Prepared(null, msg.error()));
        }
        store = msg.store();
        if (cancelled != null) {
            return notStarted(null);
        }
        lockWait = new LockWait(System.nanoTime(), config.lockTimeout());
        return tryLock();
    }

    /** One non-blocking attempt at the instance lock, on the blocking dispatcher (a store round trip). */
    private Behavior<Command> tryLock() {
        TableStore opened = store;
        String name = lockName();
        lockPending = true;
        preparing = true;
        LockWait wait = lockWait;
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
                    Optional<LockManager.Lock> held = opened.locks().tryAcquire(name);
                    // The last try: ask who holds the lock, for the timeout's message.
                    String holder = held.isEmpty() && wait.isLast(System.nanoTime()) ? opened.locks().holder(name) : null;
                    return new LockTried(held.orElse(null), holder, null);
                }, services.blocking()),
                (tried, error) -> tried == null ? new LockTried(null, "", error) : tried);
        return this;
    }

    /**
     * Takes the lock, or waits for it on a timer with backoff, holding no thread, at most
     * {@code lock_timeout}; then plans on the blocking dispatcher.
     */
    private Behavior<Command> onLockTried(LockTried msg) {
        lockPending = false;
        preparing = false;
        if (cancelled != null) {
            lock = msg.lock();
            return notStarted(msg.error());
        }
        if (msg.error() != null) {
            return onPrepared(new Prepared(null, msg.error()));
        }
        if (msg.lock() != null) {
            lock = msg.lock();
            lockTaken = true;
            LockManager.Lock held = lock;
            TableStore opened = store;
            preparing = true;
            getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> plan(opened, held), services.blocking()),
                    Prepared::new);
            return this;
        }
        if (msg.holder() != null) {
            Duration waited = Duration.ofNanos(System.nanoTime() - startNanos);
            return onPrepared(new Prepared(null, new LockManager.LockTimeoutException(store.locks().describe(lockName())
                    + " is still held by another run of instance '" + config.instanceName() + "'" + msg.holder()
                    + " after waiting "
                    + waited.toMillis() + " ms (lock_timeout " + Durations.human(config.lockTimeout()) + " of " + config.source()
                    + "); wait for that run to finish, or raise lock_timeout")));
        }
        if (lockWait.firstWait()) {
            String message = "Waiting up to " + Durations.human(config.lockTimeout()) + " for " + store.locks().describe(lockName())
                    + ": another run of instance '" + config.instanceName() + "' holds it";
            getContext().getLog().info("{}", message);
            emit(new RunEvent.Waiting(options.runId(), message));
        }
        Duration next = lockWait.next(System.nanoTime());
        timers.startSingleTimer(LOCK_POLL_TIMER, new PollLock(), next);
        return this;
    }

    private Behavior<Command> onPollLock(PollLock msg) {
        return cancelled != null ? this : tryLock();
    }

    private Behavior<Command> onCancel(Cancel msg) {
        if (cancelled != null || finishing) {
            return this;
        }
        cancelled = msg.reason();
        getContext().getLog().warn("Run {} of flow '{}' on instance '{}' is cancelled: {}", options.runId(), flow.name(),
                config.instanceName(), msg.reason());
        failures.add(0, new dev.weir.engine.RunCancelledException(flow.name(), config.instanceName(), options.runId(),
                msg.reason()));
        stopping = true;
        if (plan == null) {
            // Opening, waiting for the lock or planning: the reply in flight ends the run; a run that
            // waits on its lock timer ends now.
            if (store != null && lock == null && !lockPending) {
                timers.cancel(LOCK_POLL_TIMER);
                return notStarted(null);
            }
            return this;
        }
        skipPending("run-cancelled");
        dropRetries("run-cancelled");
        stageRuns.values().forEach(stage -> stage.tell(new StageRun.CancelTasks("the run was cancelled ("
                + msg.reason() + ")")));
        return advance();
    }

    /** Ends a run that ran nothing: every task skipped; {@code error}, if any, among its failures. */
    private Behavior<Command> notStarted(Throwable error) {
        if (error != null) {
            failures.add(Failures.unwrap(error));
        }
        String reason = cancelled != null ? "run-cancelled" : "run-not-started";
        flow.tasks().forEach(t -> move(t, TaskStatus.SKIPPED));
        flow.tasks().forEach(t -> results.put(t.id(), result(t, TaskState.SKIPPED, reason, 0, -1, null)));
        return finish();
    }

    private void skipPending(String reason) {
        for (TaskPlan t : plan.tasks().values()) {
            TaskStatus s = status.get(t.id());
            if (s == TaskStatus.PENDING) {
                settle(t.task(), TaskStatus.SKIPPED, TaskState.SKIPPED, reason, null, null);
            }
        }
    }

    /**
     * Blocking: drops what killed runs left and plans the run, under the held lock; releases the lock when
     * that fails.
     */
    private Prepare plan(TableStore opened, LockManager.Lock held) {
        try {
            StageClaims.checkOwners(flow, config, opened);
            OrphanedTransactions.drop(opened, config);
            Planner planner = new Planner(flow, config, config.cacheValidation(), opened);
            Plan planned = planner.plan(options.runId(), options.only());
            opened.reserve(ConnectionDemands.of(planned, config, blockingThreads));
            return new Prepare(opened, held, planned, planner);
        } catch (RuntimeException e) {
            held.close();
            throw e;
        }
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Prepared.class, guard(this::onPrepared))
                .onMessage(Opened.class, guard(this::onOpened))
                .onMessage(LockTried.class, guard(this::onLockTried))
                .onMessage(PollLock.class, guard(this::onPollLock))
                .onMessage(Cancel.class, guard(this::onCancel))
                .onMessage(StageBegun.class, guard(this::onStageBegun))
                .onMessage(TaskFinished.class, guard(this::onTaskFinished))
                .onMessage(Retry.class, guard(this::onRetry))
                .onMessage(StageEnded.class, guard(this::onStageEnded))
                .onMessage(Released.class, this::onReleased)
                .onSignal(Terminated.class, guard(this::onStageStopped))
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    /** {@code handler}, with any exception it throws failing the run instead of stopping this actor silently. */
    private <M> org.apache.pekko.japi.function.Function<M, Behavior<Command>> guard(
            org.apache.pekko.japi.function.Function<M, Behavior<Command>> handler) {
        return msg -> {
            try {
                return handler.apply(msg);
            } catch (Exception e) {
                return crash(e);
            }
        };
    }

    private Behavior<Command> onPrepared(Prepared msg) {
        preparing = false;
        if (msg.error() != null) {
            lock = null; // planning released it
            return notStarted(msg.error());
        }
        if (cancelled != null) {
            return notStarted(null);
        }
        store = msg.prepare().store();
        lock = msg.prepare().lock(); // held from here on: every way out of this actor releases it
        plan = msg.prepare().plan();
        planner = msg.prepare().planner();
        runAllocator = MemoryBudgets.run(services.allocator(), options.runId(), config.memory());
        execution = new TaskExecution(flow, config, store, new FileBlobStore(config.blobStoreDir()), runAllocator,
                services.allocator(), options.runId()).withPlacement(options.chunkPlacement());
        inline = new LocalInlineHandOver(services.allocator(), true);
        inputs = new TaskInputs(plan);
        emit(new RunEvent.RunStarted(options.runId(), flow.name(), config.instanceName(), plan.tasks().size(),
                (int) plan.count(TaskPlan.Decision.RUN),
                (int) (plan.count(TaskPlan.Decision.HIT) + plan.count(TaskPlan.Decision.RESUME)),
                (int) plan.count(TaskPlan.Decision.DEFERRED)));
        for (TaskPlan task : plan.tasks().values()) {
            boolean touched = plan.touched().contains(task.stage());
            if (task.decision() == TaskPlan.Decision.SKIP) {
                settle(task.task(), TaskStatus.SKIPPED, TaskState.SKIPPED, task.reason(), task.cached(), null);
            } else if (!touched) {
                settle(task.task(), TaskStatus.SUCCEEDED, TaskState.CACHE_VALID, task.reason(), task.cached(), null);
            } else if (task.decision() == TaskPlan.Decision.HIT || task.decision() == TaskPlan.Decision.RESUME) {
                move(task.task(), TaskStatus.CARRYING);
            } else {
                move(task.task(), TaskStatus.PENDING);
            }
        }
        for (var stage : flow.stages()) {
            if (plan.touched().contains(stage.name())) {
                moveStage(stage.name(), StageStatus.BEGINNING);
                ActorRef<StageRun.Command> ref = getContext().spawn(
                        StageRun.create(stage.name(), services, execution, lock, getContext().getSelf(),
                                options.listener(),
                                plan.tasksOf(stage.name()).stream()
                                        .filter(t -> t.decision() == TaskPlan.Decision.HIT
                                                || t.decision() == TaskPlan.Decision.RESUME).toList()),
                        "stage-" + java.net.URLEncoder.encode(stage.name(), java.nio.charset.StandardCharsets.UTF_8));
                getContext().watch(ref);
                stageRuns.put(stage.name(), ref);
                liveStages.add(stage.name());
            } else {
                moveStage(stage.name(), StageStatus.UNTOUCHED);
            }
        }
        return advance();
    }

    private Behavior<Command> onStageBegun(StageBegun msg) {
        expectStage(msg.stage(), StageStatus.BEGINNING);
        boolean begun = msg.error() == null;
        for (TaskPlan t : plan.tasksOf(msg.stage())) {
            if (status.get(t.id()) == TaskStatus.CARRYING) {
                if (begun) {
                    settle(t.task(), TaskStatus.SUCCEEDED, TaskState.CACHE_VALID, t.reason(), t.cached(), null);
                } else {
                    settle(t.task(), TaskStatus.SKIPPED, TaskState.SKIPPED, "stage-could-not-begin", null, null);
                }
            }
        }
        if (!begun) {
            moveStage(msg.stage(), StageStatus.ENDING);
            fail(Failures.unwrap(msg.error()));
            skipPendingOf(msg.stage(), "stage-could-not-begin");
            stageRuns.get(msg.stage()).tell(new StageRun.Abort("the stage could not begin"));
        } else {
            moveStage(msg.stage(), StageStatus.OPEN);
        }
        return advance();
    }

    private Behavior<Command> onTaskFinished(TaskFinished msg) {
        TaskOutcome outcome = msg.outcome();
        TaskPlan task = plan.task(outcome.task());
        if (status.get(task.id()) != TaskStatus.RUNNING) {
            closeInline(outcome);
            TaskStatus.check(where(task.task()), status.get(task.id()),
                    outcome.succeeded() ? TaskStatus.SUCCEEDED : TaskStatus.FAILED);
        }
        running--;
        seconds.merge(task.id(), outcome.seconds(), Double::sum);
        if (outcome.succeeded()) {
            chunkStates.put(task.id(), outcome.chunks());
            chunkNodes.put(task.id(), outcome.chunkNodes());
            TaskState state = task.decision() == TaskPlan.Decision.HIT ? TaskState.CACHE_VALID : TaskState.COMPLETED;
            settle(task.task(), TaskStatus.SUCCEEDED, state, task.reason(), outcome.outputs(), null);
            inline.offer(task.id(), outcome.inline(),
                    inputs.readersToCome(task, name -> status.get(name) == TaskStatus.PENDING));
            return advance();
        }
        int attempt = attempts.getOrDefault(task.id(), 1);
        if (outcome.transientFailure() && attempt < config.retry().maxAttempts() && !stopping) {
            Duration backoff = config.retry().backoff(attempt);
            getContext().getLog().warn("Task '{}' failed transiently (attempt {} of {}); retrying in {} ms: {}",
                    task.id(), attempt, config.retry().maxAttempts(), backoff.toMillis(), Failures.firstLine(outcome.error()));
            attempts.put(task.id(), attempt + 1);
            move(task.task(), TaskStatus.RETRYING);
            running++; // the retry holds its slot while it waits
            timers.startSingleTimer(retryKey(task.id()), new Retry(task.id()), backoff);
            return advance();
        }
        fail(outcome.error());
        settle(task.task(), TaskStatus.FAILED, TaskState.FAILED, task.reason(), null, outcome.error().getMessage());
        skipDownstream(task.id());
        return advance();
    }

    private Behavior<Command> onRetry(Retry msg) {
        running--; // the attempt takes over the slot
        start(plan.task(msg.task()));
        return advance();
    }

    private static String retryKey(TaskId task) {
        return "retry:" + task;
    }

    /**
     * Gives up the retries waiting out their backoff: the run stops, so they will not run. Each frees its
     * slot and is skipped; a timer cancelled here never delivers its {@link Retry}.
     */
    private void dropRetries(String reason) {
        for (TaskPlan t : plan.tasks().values()) {
            if (status.get(t.id()) == TaskStatus.RETRYING) {
                timers.cancel(retryKey(t.id()));
                running--;
                settle(t.task(), TaskStatus.SKIPPED, TaskState.SKIPPED, reason, null, null);
            }
        }
    }

    private Behavior<Command> onStageEnded(StageEnded msg) {
        expectStage(msg.stage(), StageStatus.ENDING);
        if (msg.error() != null) {
            moveStage(msg.stage(), StageStatus.ABORTED);
            fail(Failures.unwrap(msg.error()));
            emit(new RunEvent.StageAborted(options.runId(), msg.stage(), Failures.unwrap(msg.error()).getMessage()));
            plan.tasksOf(msg.stage()).forEach(t -> skipDownstream(t.id()));
        } else if (msg.committed()) {
            moveStage(msg.stage(), StageStatus.COMMITTED);
            emit(new RunEvent.StageCommitted(options.runId(), msg.stage()));
        } else {
            moveStage(msg.stage(), StageStatus.ABORTED);
            emit(new RunEvent.StageAborted(options.runId(), msg.stage(), msg.reason()));
            plan.tasksOf(msg.stage()).forEach(t -> skipDownstream(t.id()));
        }
        return advance();
    }

    /** Starts what can start, ends the stages that are done, and finishes the run when nothing is left. */
    private Behavior<Command> advance() {
        if (!stopping) {
            int limit = config.orchestration().engine() == InstanceConfig.Orchestration.Engine.SEQUENTIAL
                    ? 1 : config.orchestration().maxParallelism();
            for (TaskPlan task : plan.tasks().values()) {
                if (running >= limit) {
                    break;
                }
                if (status.get(task.id()) == TaskStatus.PENDING && ready(task)) {
                    attempts.putIfAbsent(task.id(), 1);
                    start(task);
                }
            }
        }
        endStages();
        if (running == 0 && stages.values().stream().noneMatch(s -> s == StageStatus.BEGINNING || s == StageStatus.ENDING)
                && (stopping || status.values().stream().noneMatch(s -> s == TaskStatus.PENDING))) {
            return finish();
        }
        return this;
    }

    private boolean ready(TaskPlan task) {
        if (stages.get(task.stage()) != StageStatus.OPEN) {
            return false;
        }
        for (Ref ref : task.task().upstream()) {
            TaskPlan producer = plan.producerOf(ref);
            if (producer.stage().equals(task.stage())) {
                TaskStatus s = status.get(producer.id());
                if (s != TaskStatus.SUCCEEDED && s != TaskStatus.SKIPPED) {
                    return false;
                }
            } else {
                StageStatus s = stages.get(producer.stage());
                if (s != StageStatus.COMMITTED && s != StageStatus.UNTOUCHED) {
                    return false;
                }
            }
        }
        return true;
    }

    private void start(TaskPlan planned) {
        TaskPlan task = planned;
        if (task.decision() == TaskPlan.Decision.DEFERRED) {
            task = planner.resolve(task, plan, outputs);
            plan = plan.with(task);
            inputs = new TaskInputs(plan);
        }
        move(task.task(), TaskStatus.RUNNING);
        List<InputSpec> resolved = inputs.of(task, name -> status.get(name) == TaskStatus.SUCCEEDED, outputs, inline);
        running++;
        int attempt = attempts.getOrDefault(task.id(), 1);
        emit(new RunEvent.TaskStarted(options.runId(), task.stage(), task.name(), attempt));
        stageRuns.get(task.stage()).tell(new StageRun.RunTask(task, resolved, attempt));
    }

    private void endStages() {
        for (String stage : List.copyOf(stages.keySet())) {
            if (stages.get(stage) != StageStatus.OPEN) {
                continue;
            }
            List<TaskPlan> tasks = plan.tasksOf(stage);
            boolean busy = tasks.stream().anyMatch(t -> status.get(t.id()) == TaskStatus.RUNNING
                    || status.get(t.id()) == TaskStatus.RETRYING);
            boolean pending = tasks.stream().anyMatch(t -> status.get(t.id()) == TaskStatus.PENDING);
            if (busy || (pending && !stopping)) {
                continue;
            }
            boolean failed = tasks.stream().anyMatch(t -> status.get(t.id()) == TaskStatus.FAILED);
            // a task that was to run or be carried forward but was skipped (its upstream failed) has no
            // table in the transaction: committing would replace its last committed table with nothing
            boolean incomplete = tasks.stream().anyMatch(t -> status.get(t.id()) == TaskStatus.SKIPPED
                    && t.decision() != TaskPlan.Decision.SKIP);
            if (pending) {
                skipPendingOf(stage, "run-stopped (fail-fast)");
            }
            moveStage(stage, StageStatus.ENDING);
            if (failed || pending || incomplete || cancelled != null) {
                stageRuns.get(stage).tell(new StageRun.Abort(cancelled != null ? "the run was cancelled"
                        : failed ? "a task of the stage failed"
                        : incomplete ? "a task of the stage was skipped: its upstream failed" : "the run stopped"));
            } else {
                List<dev.weir.engine.store.TaskRecord> carry = tasks.stream()
                        .filter(t -> t.decision() == TaskPlan.Decision.SKIP && t.cached() != null)
                        .map(t -> StageRun.rerecord(options.runId(), t)).toList();
                stageRuns.get(stage).tell(new StageRun.Commit(plan.subset(), carry));
            }
        }
    }

    private void skipPendingOf(String stage, String reason) {
        for (TaskPlan t : plan.tasksOf(stage)) {
            if (status.get(t.id()) == TaskStatus.PENDING) {
                settle(t.task(), TaskStatus.SKIPPED, TaskState.SKIPPED, reason, null, null);
            }
        }
    }

    /** Marks every task reading {@code failed}'s outputs, directly or not, as skipped. */
    private void skipDownstream(TaskId failed) {
        for (TaskPlan t : plan.tasks().values()) {
            if (status.get(t.id()) == TaskStatus.PENDING
                    && t.task().upstream().stream().anyMatch(r -> r.taskId().equals(failed)
                    || (stages.get(r.stage()) == StageStatus.ABORTED && !r.stage().equals(t.stage())))) {
                settle(t.task(), TaskStatus.SKIPPED, TaskState.SKIPPED, "upstream-failed (" + failed + ")", null, null);
                skipDownstream(t.id());
            }
        }
    }

    private void settle(TaskDef task, TaskStatus taskStatus, TaskState state, String reason, OutputSet produced,
                        String error) {
        move(task, taskStatus);
        if (inline != null) {
            inline.settled(task.id());
        }
        if (produced != null) {
            outputs.put(task.id(), produced);
        }
        long rows = produced == null ? -1 : produced.rows();
        TaskResult result = result(task, state, reason, seconds.getOrDefault(task.id(), 0.0), rows, error);
        results.put(task.id(), result);
        emit(new RunEvent.TaskFinished(options.runId(), result));
    }

    private TaskResult result(TaskDef task, TaskState state, String reason, double secs, long rows, String error) {
        return new TaskResult(task.stage(), task.name(), state, reason, secs, rows,
                attempts.getOrDefault(task.id(), state == TaskState.COMPLETED || state == TaskState.FAILED ? 1 : 0),
                error, chunkStates.get(task.id()), chunkNodes.get(task.id()));
    }

    private void fail(Throwable error) {
        failures.add(error);
        if (config.failFast() && !stopping) {
            stopping = true;
            dropRetries("run-stopped (fail-fast)");
        }
    }

    // ---- guarded state changes

    private void move(TaskDef task, TaskStatus to) {
        status.put(task.id(), TaskStatus.check(where(task), status.get(task.id()), to));
    }

    private void moveStage(String stage, StageStatus to) {
        stages.put(stage, StageStatus.check(where(stage), stages.get(stage), to));
    }

    /** Throws when a stage's report finds the stage in another state than the one that asked for it. */
    private void expectStage(String stage, StageStatus expected) {
        StageStatus now = stages.get(stage);
        if (now != expected) {
            throw new IllegalStateException(where(stage) + " reported in state " + now + ", expected " + expected
                    + " (a bug in Weir's runtime; the run stops)");
        }
    }

    private String where(TaskDef task) {
        return "flow '" + flow.name() + "', stage '" + task.stage() + "', task '" + task.name() + "'";
    }

    private String where(String stage) {
        return "flow '" + flow.name() + "', stage '" + stage + "'";
    }

    private static void closeInline(TaskOutcome outcome) {
        outcome.inline().values().forEach(dev.weir.engine.data.ArrowTable::close);
    }

    // ---- the failure path

    /**
     * A stage's actor stopped. After it reported its end that is how it should be; before, it failed (or
     * was stopped) on its own, and the run fails: nothing else would end the stage.
     */
    private Behavior<Command> onStageStopped(Terminated signal) {
        String stage = stageOf(signal.getRef());
        liveStages.remove(stage);
        StageStatus now = stages.get(stage);
        if (now == StageStatus.COMMITTED || now == StageStatus.ABORTED) {
            return this;
        }
        Throwable cause = signal instanceof ChildFailed failed ? failed.getCause() : null;
        return crash(new WeirException(where(stage) + ": the stage's actor stopped before the stage ended (it was "
                + now + ")" + (cause == null ? "" : ": " + cause), cause));
    }

    private String stageOf(ActorRef<?> ref) {
        return stageRuns.entrySet().stream().filter(e -> e.getValue().equals(ref)).map(Map.Entry::getKey)
                .findFirst().orElseThrow(() -> new IllegalStateException("a watched actor " + ref
                        + " is no stage of flow '" + flow.name() + "'"));
    }

    /**
     * Fails the run after an error in this actor or a lost stage: no new work starts, retries are dropped,
     * every live stage is told to abort and every stage whose actor is gone is aborted from here; once all
     * stage actors have stopped the run finishes as a failed run.
     */
    private Behavior<Command> crash(Throwable error) {
        getContext().getLog().error("Run {} of flow '{}' on instance '{}' failed: {}", options.runId(), flow.name(),
                config.instanceName(), error.toString(), error);
        failures.add(0, error);
        stopping = true;
        timers.cancelAll();
        Draining draining = new Draining(getContext());
        if (plan == null) {
            return draining.maybeFinish();
        }
        for (String stage : stages.keySet()) {
            StageStatus now = stages.get(stage);
            if (now == StageStatus.UNTOUCHED || now.isFinal()) {
                continue;
            }
            if (liveStages.contains(stage)) {
                // its running tasks are interrupted and report; then the stage aborts
                stageRuns.get(stage).tell(new StageRun.CancelTasks("the run failed: " + error.getMessage()));
                stageRuns.get(stage).tell(new StageRun.Abort("the run failed: " + error.getMessage()));
            } else {
                draining.dropping++;
                getContext().pipeToSelf(CompletableFuture.runAsync(() -> {
                    execution.store().abortStage(stage);
                    execution.blobs().abort(stage);
                }, services.blocking()), (ok, dropError) -> new StageDropped(stage, dropError));
            }
        }
        return draining.maybeFinish();
    }

    /**
     * The run after a failure of its own: waits for its stage actors to stop and its own aborts to end,
     * freeing whatever Arrow data finished tasks still hand in, then finishes.
     */
    private final class Draining extends AbstractBehavior<Command> {

        private int dropping;

        Draining(ActorContext<Command> context) {
            super(context);
        }

        @Override
        public Receive<Command> createReceive() {
            return newReceiveBuilder()
                    .onMessage(TaskFinished.class, msg -> {
                        closeInline(msg.outcome());
                        if (!msg.outcome().succeeded()) {
                            failures.add(msg.outcome().error());
                        }
                        return this;
                    })
                    .onMessage(StageDropped.class, msg -> {
                        dropping--;
                        if (msg.error() != null) {
                            failures.add(Failures.unwrap(msg.error()));
                        }
                        return maybeFinish();
                    })
                    .onMessage(StageEnded.class, msg -> {
                        if (msg.error() != null) {
                            failures.add(Failures.unwrap(msg.error()));
                        }
                        return this;
                    })
                    .onMessage(Opened.class, msg -> {
                        preparing = false;
                        return maybeFinish();
                    })
                    .onMessage(LockTried.class, msg -> {
                        preparing = false;
                        if (msg.lock() != null) {
                            lock = msg.lock(); // released by finish()
                        }
                        return maybeFinish();
                    })
                    .onMessage(Prepared.class, msg -> {
                        preparing = false;
                        if (msg.error() == null) {
                            lock = msg.prepare().lock(); // released by finish()
                        }
                        return maybeFinish();
                    })
                    .onMessage(StageBegun.class, msg -> this) // its abort is asked for already
                    .onMessage(Cancel.class, msg -> this) // the run is ending already
                    .onMessage(Released.class, FlowRun.this::onReleased)
                    .onSignal(Terminated.class, signal -> {
                        liveStages.remove(stageOf(signal.getRef()));
                        return maybeFinish();
                    })
                    .onSignal(PostStop.class, FlowRun.this::onPostStop)
                    .build();
        }

        Behavior<Command> maybeFinish() {
            if (!preparing && liveStages.isEmpty() && dropping == 0) {
                finish();
            }
            return this;
        }
    }

    /**
     * The last line of defence: this actor stopped without completing the result (an exception on the
     * failure path itself). Releases the lock and the run's allocator off this thread, then completes the
     * result exceptionally.
     */
    private Behavior<Command> onPostStop(PostStop signal) {
        if (promise.isDone()) {
            return Behaviors.same();
        }
        LockManager.Lock held = lock;
        BufferAllocator allocator = runAllocator;
        InlineHandOver handOver = inline;
        lock = null;
        runAllocator = null;
        inline = null;
        WeirException error = new WeirException("flow '" + flow.name() + "' on instance '" + config.instanceName()
                + "': the run's supervisor stopped unexpectedly", failures.isEmpty() ? null : failures.get(0));
        CompletableFuture.runAsync(() -> release(held, handOver, allocator), services.blocking())
                .whenComplete((ok, releaseError) -> {
                    if (releaseError != null) {
                        error.addSuppressed(Failures.unwrap(releaseError));
                    }
                    promise.completeExceptionally(error);
                });
        return Behaviors.same();
    }

    private static void release(LockManager.Lock held, InlineHandOver handOver, BufferAllocator allocator) {
        try {
            if (handOver != null) {
                handOver.close();
            }
        } finally {
            try {
                if (held != null) {
                    held.close();
                }
            } finally {
                if (allocator != null) {
                    allocator.close();
                }
            }
        }
    }

    private Behavior<Command> finish() {
        if (finishing) {
            return this;
        }
        finishing = true;
        LockManager.Lock held = lock;
        BufferAllocator allocator = runAllocator;
        lock = null;
        runAllocator = null;
        TableStore opened = store;
        dev.weir.engine.store.RunRecord record = lockTaken || held != null ? runRecord() : null;
        getContext().pipeToSelf(CompletableFuture.runAsync(() -> {
            try {
                if (record != null) {
                    recordRun(opened, record);
                }
                if (held != null) {
                    held.close();
                }
            } finally {
                if (allocator != null) {
                    allocator.close();
                }
            }
        }, services.blocking()), (ok, error) -> new Released(error));
        return this;
    }

    /**
     * This run as the store keeps it for {@code weir status}: its outcome so far (the release of the lock may
     * still fail it) and its tasks by state, those without a result counted as skipped.
     */
    private dev.weir.engine.store.RunRecord runRecord() {
        int ran = 0;
        int hits = 0;
        int failed = 0;
        int skipped = 0;
        for (TaskDef t : flow.tasks()) {
            TaskResult r = results.get(t.id());
            TaskState state = r == null ? TaskState.SKIPPED : r.state();
            switch (state) {
                case COMPLETED -> ran++;
                case CACHE_VALID -> hits++;
                case FAILED -> failed++;
                case SKIPPED -> skipped++;
            }
        }
        var outcome = cancelled != null ? dev.weir.engine.store.RunRecord.Outcome.CANCELLED
                : failures.isEmpty() ? dev.weir.engine.store.RunRecord.Outcome.SUCCEEDED
                : dev.weir.engine.store.RunRecord.Outcome.FAILED;
        return new dev.weir.engine.store.RunRecord(options.runId(), flow.name(), startedAt,
                Duration.ofNanos(System.nanoTime() - startNanos), outcome, ran, hits, failed, skipped);
    }

    /**
     * Blocking: records the run in the store. A failure to record is logged and never changes the run's
     * outcome: the run's work is done and committed either way.
     */
    private void recordRun(TableStore opened, dev.weir.engine.store.RunRecord record) {
        try {
            opened.recordRun(record);
        } catch (RuntimeException e) {
            RECORDING_LOG.warn("Run {} of flow '{}' on instance '{}' ended {}, but the {} could not record it for"
                    + " weir status: {}", record.runId(), record.flow(), config.instanceName(),
                    record.outcome().label(), opened, e.toString(), e);
        }
    }

    private static final org.slf4j.Logger RECORDING_LOG = org.slf4j.LoggerFactory.getLogger(FlowRun.class);

    private Behavior<Command> onReleased(Released msg) {
        if (msg.error() != null) {
            failures.add(Failures.unwrap(msg.error()));
        }
        double secs = (System.nanoTime() - startNanos) / 1e9;
        List<TaskResult> ordered = new ArrayList<>();
        for (TaskDef t : flow.tasks()) {
            TaskResult r = results.get(t.id());
            ordered.add(r != null ? r : result(t, TaskState.SKIPPED, "run-stopped", 0, -1, null));
        }
        Map<Ref, dev.weir.engine.data.ArrowTable> inlined = Map.of();
        if (inline != null) {
            inlined = inline.forResult();
            inline.close();
        }
        Result result = new Result(flow.name(), config.instanceName(), options.runId(), failures.isEmpty(), ordered, secs,
                failures.isEmpty() ? null : failures.get(0),
                new CommittedTables(services, config, plan, outputs, inlined));
        emit(new RunEvent.RunFinished(options.runId(), result.successful(), result.summary()));
        if (!promise.complete(result)) {
            result.close(); // the caller cancelled the future: nobody reads this result
        }
        return Behaviors.stopped();
    }

    private void emit(RunEvent event) {
        if (options.listener() != null) {
            options.listener().tell(event);
        }
    }
}
