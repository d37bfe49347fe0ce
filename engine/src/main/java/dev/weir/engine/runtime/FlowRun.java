package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import dev.weir.engine.WeirException;
import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.TableStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
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
 */
public final class FlowRun extends AbstractBehavior<FlowRun.Command> {

    public sealed interface Command {
    }

    private record Prepared(Prepare prepare, Throwable error) implements Command {
    }

    private record Opened(TableStore store, Throwable error) implements Command {
    }

    /** One attempt at the instance lock: the held lock, or null when another run holds it. */
    private record LockTried(LockManager.Lock lock, Throwable error) implements Command {
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

    private record Retry(String task) implements Command {
    }

    private record Released(Throwable error) implements Command {
    }

    /** What preparing a run yields: the open store, the held lock, the plan, the planner that finishes it. */
    private record Prepare(TableStore store, LockManager.Lock lock, Plan plan, Planner planner) {
    }

    /**
     * CARRYING: a cache hit in a stage that runs, copied forward when its stage begins; or a resumed task,
     * whose kept outputs stay in the transaction when its stage begins.
     */
    private enum TaskStatus { PENDING, CARRYING, RUNNING, SUCCEEDED, FAILED, SKIPPED }

    private enum StageStatus { UNTOUCHED, BEGINNING, OPEN, ENDING, COMMITTED, ABORTED }

    private final RunServices services;
    private final Flow flow;
    private final InstanceConfig config;
    private final RunOptions options;
    private final CompletableFuture<Result> promise;
    private final TimerScheduler<Command> timers;
    private final long startNanos = System.nanoTime();
    private final int blockingThreads;

    /** The first wait between attempts at a held instance lock; it doubles up to {@link #MAX_LOCK_POLL}. */
    private static final Duration FIRST_LOCK_POLL = Duration.ofMillis(20);
    private static final Duration MAX_LOCK_POLL = Duration.ofMillis(250);
    private static final Object LOCK_POLL_TIMER = "lock-poll";
    private long lockDeadline;
    /** A tryAcquire is on its way; without one, a run waiting for the lock waits only on its timer. */
    private boolean lockPending;
    /** Why the run was cancelled, or null. */
    private String cancelled;
    private Duration lockPoll = Duration.ZERO;

    private TableStore store;
    private LockManager.Lock lock;
    private Plan plan;
    private Planner planner;
    private BufferAllocator runAllocator;
    private TaskExecution execution;
    private InlineHandOver inline;
    private TaskInputs inputs;
    private final Map<String, TaskStatus> status = new LinkedHashMap<>();
    private final Map<String, OutputSet> outputs = new HashMap<>();
    private final Map<String, TaskResult> results = new LinkedHashMap<>();
    private final Map<String, List<TaskResult.ChunkState>> chunkStates = new HashMap<>();
    private final Map<String, Integer> attempts = new HashMap<>();
    /** Tasks waiting on their retry timer: pending, but holding their slot. */
    private final java.util.Set<String> retrying = new java.util.HashSet<>();
    private final Map<String, Double> seconds = new HashMap<>();
    private final Map<String, StageStatus> stages = new LinkedHashMap<>();
    private final Map<String, ActorRef<StageRun.Command>> stageRuns = new HashMap<>();
    private final List<Throwable> failures = new ArrayList<>();
    private int running;
    private boolean stopping;
    private boolean finishing;

    static Behavior<Command> create(RunServices services, Flow flow, InstanceConfig config, RunOptions options,
                                    CompletableFuture<Result> promise) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new FlowRun(ctx, timers, services, flow, config, options, promise)));
    }

    private FlowRun(ActorContext<Command> context, TimerScheduler<Command> timers, RunServices services, Flow flow,
                    InstanceConfig config, RunOptions options, CompletableFuture<Result> promise) {
        super(context);
        this.timers = timers;
        this.services = services;
        this.flow = flow;
        this.config = options.cacheValidation() == null ? config : config.withCacheValidation(options.cacheValidation());
        this.options = options;
        this.promise = promise;
        com.typesafe.config.Config settings = context.getSystem().settings().config();
        String threads = Engine.BLOCKING_DISPATCHER + ".thread-pool-executor.fixed-pool-size";
        this.blockingThreads = settings.hasPath(threads) ? settings.getInt(threads) : Integer.MAX_VALUE;
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> services.stores().open(this.config.tableStore()),
                services.blocking()), Opened::new);
    }

    /** The instance lock's name in the store's lock manager. */
    private String lockName() {
        return "instance:" + config.instanceId();
    }

    private Behavior<Command> onOpened(Opened msg) {
        if (msg.error() != null) {
            return onPrepared(new Prepared(null, msg.error()));
        }
        store = msg.store();
        if (cancelled != null) {
            return notStarted(null);
        }
        lockDeadline = System.nanoTime() + config.lockTimeout().toNanos();
        return tryLock();
    }

    /** One non-blocking attempt at the instance lock, on the blocking dispatcher (a store round trip). */
    private Behavior<Command> tryLock() {
        TableStore opened = store;
        String name = lockName();
        lockPending = true;
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> opened.locks().tryAcquire(name), services.blocking()),
                (held, error) -> new LockTried(held == null ? null : held.orElse(null), error));
        return this;
    }

    /**
     * Takes the lock, or waits for it on a timer with backoff, holding no thread, at most
     * {@code lock_timeout}; then plans on the blocking dispatcher.
     */
    private Behavior<Command> onLockTried(LockTried msg) {
        lockPending = false;
        if (cancelled != null) {
            lock = msg.lock();
            return notStarted(msg.error());
        }
        if (msg.error() != null) {
            return onPrepared(new Prepared(null, msg.error()));
        }
        if (msg.lock() != null) {
            lock = msg.lock();
            LockManager.Lock held = lock;
            TableStore opened = store;
            getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> plan(opened, held), services.blocking()),
                    Prepared::new);
            return this;
        }
        long remaining = lockDeadline - System.nanoTime();
        if (remaining <= 0) {
            Duration waited = Duration.ofNanos(System.nanoTime() - startNanos);
            return onPrepared(new Prepared(null, new LockManager.LockTimeoutException(store.locks().describe(lockName())
                    + " is still held by another run of instance '" + config.instanceName() + "' after waiting "
                    + waited.toMillis() + " ms (lock_timeout " + config.lockTimeout() + " of " + config.source()
                    + "); wait for that run to finish, or raise lock_timeout")));
        }
        if (lockPoll.isZero()) {
            String message = "Waiting up to " + config.lockTimeout() + " for " + store.locks().describe(lockName())
                    + ": another run of instance '" + config.instanceName() + "' holds it";
            getContext().getLog().info("{}", message);
            emit(new RunEvent.Waiting(options.runId(), message));
            lockPoll = FIRST_LOCK_POLL;
        } else {
            lockPoll = lockPoll.multipliedBy(2).compareTo(MAX_LOCK_POLL) > 0 ? MAX_LOCK_POLL : lockPoll.multipliedBy(2);
        }
        Duration next = Duration.ofNanos(Math.min(lockPoll.toNanos(), remaining));
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
        flow.tasks().forEach(t -> status.put(t.name(), TaskStatus.SKIPPED));
        flow.tasks().forEach(t -> results.put(t.name(), result(t, TaskState.SKIPPED, reason, 0, -1, null)));
        return finish();
    }

    private void skipPending(String reason) {
        for (TaskPlan t : plan.tasks().values()) {
            TaskStatus s = status.get(t.name());
            if (s == TaskStatus.PENDING && !retrying.contains(t.name())) {
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
                .onMessage(Prepared.class, this::onPrepared)
                .onMessage(Opened.class, this::onOpened)
                .onMessage(LockTried.class, this::onLockTried)
                .onMessage(PollLock.class, this::onPollLock)
                .onMessage(Cancel.class, this::onCancel)
                .onMessage(StageBegun.class, this::onStageBegun)
                .onMessage(TaskFinished.class, this::onTaskFinished)
                .onMessage(Retry.class, this::onRetry)
                .onMessage(StageEnded.class, this::onStageEnded)
                .onMessage(Released.class, this::onReleased)
                .build();
    }

    private Behavior<Command> onPrepared(Prepared msg) {
        if (msg.error() != null) {
            lock = null; // planning released it
            return notStarted(msg.error());
        }
        if (cancelled != null) {
            return notStarted(null);
        }
        store = msg.prepare().store();
        lock = msg.prepare().lock();
        plan = msg.prepare().plan();
        planner = msg.prepare().planner();
        runAllocator = services.allocator().newChildAllocator("run-" + options.runId(), 0, Long.MAX_VALUE);
        execution = new TaskExecution(flow, config, store, new FileBlobStore(config.blobStoreDir()), runAllocator,
                services.allocator(), options.runId());
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
                status.put(task.name(), TaskStatus.CARRYING);
            } else {
                status.put(task.name(), TaskStatus.PENDING);
            }
        }
        for (var stage : flow.stages()) {
            if (plan.touched().contains(stage.name())) {
                stages.put(stage.name(), StageStatus.BEGINNING);
                stageRuns.put(stage.name(), getContext().spawn(
                        StageRun.create(stage.name(), services, execution, lock, getContext().getSelf(),
                                options.listener(),
                                plan.tasksOf(stage.name()).stream()
                                        .filter(t -> t.decision() == TaskPlan.Decision.HIT
                                                || t.decision() == TaskPlan.Decision.RESUME).toList()),
                        "stage-" + java.net.URLEncoder.encode(stage.name(), java.nio.charset.StandardCharsets.UTF_8)));
            } else {
                stages.put(stage.name(), StageStatus.UNTOUCHED);
            }
        }
        return advance();
    }

    private Behavior<Command> onStageBegun(StageBegun msg) {
        boolean begun = msg.error() == null;
        for (TaskPlan t : plan.tasksOf(msg.stage())) {
            if (status.get(t.name()) == TaskStatus.CARRYING) {
                if (begun) {
                    settle(t.task(), TaskStatus.SUCCEEDED, TaskState.CACHE_VALID, t.reason(), t.cached(), null);
                } else {
                    settle(t.task(), TaskStatus.SKIPPED, TaskState.SKIPPED, "stage-could-not-begin", null, null);
                }
            }
        }
        if (!begun) {
            fail(Failures.unwrap(msg.error()));
            stages.put(msg.stage(), StageStatus.ENDING);
            skipPendingOf(msg.stage(), "stage-could-not-begin");
            stageRuns.get(msg.stage()).tell(new StageRun.Abort("the stage could not begin"));
        } else {
            stages.put(msg.stage(), StageStatus.OPEN);
        }
        return advance();
    }

    private Behavior<Command> onTaskFinished(TaskFinished msg) {
        TaskOutcome outcome = msg.outcome();
        TaskPlan task = plan.task(outcome.task());
        running--;
        seconds.merge(task.name(), outcome.seconds(), Double::sum);
        if (outcome.succeeded()) {
            chunkStates.put(task.name(), outcome.chunks());
            inline.offer(task.name(), outcome.inline(),
                    inputs.readersToCome(task, name -> status.get(name) == TaskStatus.PENDING));
            TaskState state = task.decision() == TaskPlan.Decision.HIT ? TaskState.CACHE_VALID : TaskState.COMPLETED;
            settle(task.task(), TaskStatus.SUCCEEDED, state, task.reason(), outcome.outputs(), null);
            return advance();
        }
        int attempt = attempts.getOrDefault(task.name(), 1);
        if (outcome.transientFailure() && attempt < config.retry().maxAttempts() && !stopping) {
            Duration backoff = config.retry().backoff(attempt);
            getContext().getLog().warn("Task '{}' failed transiently (attempt {} of {}); retrying in {} ms: {}",
                    task.name(), attempt, config.retry().maxAttempts(), backoff.toMillis(), Failures.firstLine(outcome.error()));
            attempts.put(task.name(), attempt + 1);
            status.put(task.name(), TaskStatus.PENDING);
            running++; // the retry holds its slot while it waits
            retrying.add(task.name());
            timers.startSingleTimer(new Retry(task.name()), backoff);
            return this;
        }
        fail(outcome.error());
        settle(task.task(), TaskStatus.FAILED, TaskState.FAILED, task.reason(), null, outcome.error().getMessage());
        skipDownstream(task.name());
        return advance();
    }

    private Behavior<Command> onRetry(Retry msg) {
        running--;
        retrying.remove(msg.task());
        if (stopping) {
            TaskPlan task = plan.task(msg.task());
            settle(task.task(), TaskStatus.SKIPPED, TaskState.SKIPPED,
                    cancelled != null ? "run-cancelled" : "run-stopped (fail-fast)", null, null);
            return advance();
        }
        start(plan.task(msg.task()));
        return advance();
    }

    private Behavior<Command> onStageEnded(StageEnded msg) {
        if (msg.error() != null) {
            fail(Failures.unwrap(msg.error()));
            stages.put(msg.stage(), StageStatus.ABORTED);
            emit(new RunEvent.StageAborted(options.runId(), msg.stage(), Failures.unwrap(msg.error()).getMessage()));
            plan.tasksOf(msg.stage()).forEach(t -> skipDownstream(t.name()));
        } else if (msg.committed()) {
            stages.put(msg.stage(), StageStatus.COMMITTED);
            emit(new RunEvent.StageCommitted(options.runId(), msg.stage()));
        } else {
            stages.put(msg.stage(), StageStatus.ABORTED);
            emit(new RunEvent.StageAborted(options.runId(), msg.stage(), msg.reason()));
            plan.tasksOf(msg.stage()).forEach(t -> skipDownstream(t.name()));
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
                if (status.get(task.name()) == TaskStatus.PENDING && ready(task)) {
                    attempts.putIfAbsent(task.name(), 1);
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
            TaskPlan producer = plan.task(ref.task());
            if (producer.stage().equals(task.stage())) {
                TaskStatus s = status.get(producer.name());
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
        List<InputSpec> resolved = inputs.of(task, name -> status.get(name) == TaskStatus.SUCCEEDED, outputs, inline);
        status.put(task.name(), TaskStatus.RUNNING);
        running++;
        int attempt = attempts.getOrDefault(task.name(), 1);
        emit(new RunEvent.TaskStarted(options.runId(), task.stage(), task.name(), attempt));
        stageRuns.get(task.stage()).tell(new StageRun.RunTask(task, resolved, attempt));
    }

    private void endStages() {
        for (Map.Entry<String, StageStatus> e : stages.entrySet()) {
            String stage = e.getKey();
            if (e.getValue() != StageStatus.OPEN) {
                continue;
            }
            List<TaskPlan> tasks = plan.tasksOf(stage);
            boolean busy = tasks.stream().anyMatch(t -> status.get(t.name()) == TaskStatus.RUNNING
                    || retrying.contains(t.name()));
            boolean pending = tasks.stream().anyMatch(t -> status.get(t.name()) == TaskStatus.PENDING);
            if (busy || (pending && !stopping)) {
                continue;
            }
            boolean failed = tasks.stream().anyMatch(t -> status.get(t.name()) == TaskStatus.FAILED);
            if (pending) {
                skipPendingOf(stage, "run-stopped (fail-fast)");
            }
            e.setValue(StageStatus.ENDING);
            if (failed || pending || cancelled != null) {
                stageRuns.get(stage).tell(new StageRun.Abort(cancelled != null ? "the run was cancelled"
                        : failed ? "a task of the stage failed" : "the run stopped"));
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
            if (status.get(t.name()) == TaskStatus.PENDING) {
                settle(t.task(), TaskStatus.SKIPPED, TaskState.SKIPPED, reason, null, null);
            }
        }
    }

    /** Marks every task reading {@code failed}'s outputs, directly or not, as skipped. */
    private void skipDownstream(String failed) {
        for (TaskPlan t : plan.tasks().values()) {
            if (status.get(t.name()) == TaskStatus.PENDING
                    && t.task().upstream().stream().anyMatch(r -> r.task().equals(failed)
                    || (stages.get(r.stage()) == StageStatus.ABORTED && !r.stage().equals(t.stage())))) {
                settle(t.task(), TaskStatus.SKIPPED, TaskState.SKIPPED, "upstream-failed (" + failed + ")", null, null);
                skipDownstream(t.name());
            }
        }
    }

    private void settle(TaskDef task, TaskStatus taskStatus, TaskState state, String reason, OutputSet produced,
                        String error) {
        status.put(task.name(), taskStatus);
        if (inline != null) {
            inline.settled(task.name());
        }
        if (produced != null) {
            outputs.put(task.name(), produced);
        }
        long rows = produced == null ? -1 : produced.rows();
        TaskResult result = result(task, state, reason, seconds.getOrDefault(task.name(), 0.0), rows, error);
        results.put(task.name(), result);
        emit(new RunEvent.TaskFinished(options.runId(), result));
    }

    private TaskResult result(TaskDef task, TaskState state, String reason, double secs, long rows, String error) {
        return new TaskResult(task.stage(), task.name(), state, reason, secs, rows,
                attempts.getOrDefault(task.name(), state == TaskState.COMPLETED || state == TaskState.FAILED ? 1 : 0),
                error, chunkStates.get(task.name()));
    }

    private void fail(Throwable error) {
        failures.add(error);
        if (config.failFast()) {
            stopping = true;
        }
    }

    private Behavior<Command> finish() {
        if (finishing) {
            return this;
        }
        finishing = true;
        LockManager.Lock held = lock;
        BufferAllocator allocator = runAllocator;
        getContext().pipeToSelf(CompletableFuture.runAsync(() -> {
            try {
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

    private Behavior<Command> onReleased(Released msg) {
        if (msg.error() != null) {
            failures.add(Failures.unwrap(msg.error()));
        }
        double secs = (System.nanoTime() - startNanos) / 1e9;
        List<TaskResult> ordered = new ArrayList<>();
        for (TaskDef t : flow.tasks()) {
            TaskResult r = results.get(t.name());
            ordered.add(r != null ? r : result(t, TaskState.SKIPPED, "run-stopped", 0, -1, null));
        }
        Map<String, dev.weir.engine.data.ArrowTable> inlined = Map.of();
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
