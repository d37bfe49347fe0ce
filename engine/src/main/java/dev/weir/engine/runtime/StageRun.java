package dev.weir.engine.runtime;

import dev.weir.engine.TaskFailedException;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One stage's transaction in a run: begins it (an empty transaction schema), runs the tasks its
 * {@link FlowRun} hands it as {@link TaskRun} children, and commits or aborts it when told. Store work
 * runs on the blocking dispatcher.
 *
 * <p>Begin, commit and abort first check that the run still holds the instance lock: a run that lost
 * it (its session ended) may have been followed by another run that now owns the transaction schema,
 * so it commits nothing and leaves every schema as it is. A commit that fails transiently is retried under
 * the instance's retry policy; one that failed after the database committed it is found committed by the
 * stage's commit marker ({@link TableStore#commitMarker}) and not committed again.
 *
 * <p><b>Failure path.</b> It watches its task actors: one that stops without reporting (an exception on
 * its thread) is reported to the run as a failed attempt, naming the task. An abort asked for while the
 * stage is still beginning, or while tasks run (the run failed on its own), waits for them: each task's
 * report still reaches the run, which frees its data, and only then is the transaction dropped. A request
 * the stage cannot be in a state for (a task after the stage began to end, a second commit) is a bug:
 * it throws, this actor stops, and the run hears of it through its own watch.
 */
final class StageRun extends AbstractBehavior<StageRun.Command> {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StageRun.class);

    sealed interface Command {
    }

    /** Run one attempt of a task of this stage. */
    record RunTask(TaskPlan plan, List<InputSpec> inputs, int attempt) implements Command {
    }

    /**
     * Commit the stage. In a run of selected tasks, {@code carryForward} holds the cache entries of the
     * stage's unselected tasks, and every committed table the run did not write is copied forward, so
     * the commit loses nothing.
     */
    record Commit(boolean subset, List<TaskRecord> carryForward) implements Command {
    }

    record Abort(String reason) implements Command {
    }

    record TaskDone(TaskOutcome outcome) implements Command {
    }

    /** The run is cancelled: interrupt every task of the stage still running; each reports as it ends. */
    record CancelTasks(String reason) implements Command {
    }

    private record Begun(Throwable error) implements Command {
    }

    private record Ended(boolean committed, Throwable error, String reason) implements Command {
    }

    /** BEGINNING until the transaction exists; ENDING once told to commit or abort. */
    private enum State { BEGINNING, OPEN, ENDING }

    private final String stage;
    private final RunServices services;
    private final TaskExecution execution;
    private final LockManager.Lock lock;
    private final ActorRef<FlowRun.Command> flowRun;
    private final ActorRef<dev.weir.engine.RunEvent> listener;
    /** True once the transaction began. */
    private boolean begun;
    /** A task attempt that has not reported yet: its actor, and how to interrupt it. */
    private record Running(ActorRef<?> ref, java.util.function.Consumer<String> cancel) {
    }

    /** The task attempts that have not reported yet, by task name. */
    private final Map<String, Running> running = new HashMap<>();
    private State state = State.BEGINNING;
    /** An abort asked for while the stage could not end yet: it ends once beginning and tasks are done. */
    private String abortWhenIdle;
    /**
     * True when the transaction holds work worth keeping should the stage fail: a task finished in it, or
     * resumed into it. Cache hits alone are not: the next run finds them in the cache anyway.
     */
    private boolean worthKeeping;

    /**
     * @param carried the stage's cache hits, carried forward into the transaction right after it begins, in
     *                one store call, before any task of the stage runs; and its resumed tasks, whose outputs
     *                a failed attempt of the stage kept in the transaction, where they stay
     */
    static Behavior<Command> create(String stage, RunServices services, TaskExecution execution,
                                    LockManager.Lock lock, ActorRef<FlowRun.Command> flowRun,
                                    ActorRef<dev.weir.engine.RunEvent> listener, List<TaskPlan> carried) {
        return Behaviors.setup(ctx -> {
            ctx.pipeToSelf(CompletableFuture.runAsync(() -> {
                lock.verify();
                begin(stage, execution, carried);
            }, services.blocking()), (ok, error) -> new Begun(error));
            StageRun run = new StageRun(ctx, stage, services, execution, lock, flowRun, listener);
            run.worthKeeping = carried.stream().anyMatch(t -> t.decision() == TaskPlan.Decision.RESUME);
            return run;
        });
    }

    /** Blocking: begins the transaction, from the kept attempt when tasks resume, and carries the hits in. */
    private static void begin(String stage, TaskExecution execution, List<TaskPlan> carried) {
        List<TaskPlan> resumed = carried.stream().filter(t -> t.decision() == TaskPlan.Decision.RESUME).toList();
        Set<String> tables = new HashSet<>();
        Set<String> blobs = new HashSet<>();
        resumed.forEach(t -> t.cached().tables().forEach(o -> tables.add(o.table())));
        resumed.forEach(t -> t.cached().blobs().forEach(o -> blobs.add(o.table())));
        if (resumed.isEmpty()) {
            execution.store().beginStage(stage);
            execution.blobs().begin(stage);
        } else {
            execution.store().resumeStage(stage, tables);
            execution.blobs().resume(stage, blobs);
        }
        execution.claimResumed(resumed);
        execution.carryForward(carried.stream().filter(t -> t.decision() == TaskPlan.Decision.HIT).toList());
        resumed.forEach(t -> execution.store().recordTask(rerecord(execution.runId(), t)));
    }

    private StageRun(ActorContext<Command> context, String stage, RunServices services, TaskExecution execution,
                     LockManager.Lock lock, ActorRef<FlowRun.Command> flowRun,
                     ActorRef<dev.weir.engine.RunEvent> listener) {
        super(context);
        this.lock = lock;
        this.listener = listener;
        this.stage = stage;
        this.services = services;
        this.execution = execution;
        this.flowRun = flowRun;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Begun.class, this::onBegun)
                .onMessage(RunTask.class, this::onRunTask)
                .onMessage(TaskDone.class, this::onTaskDone)
                .onMessage(CancelTasks.class, this::onCancelTasks)
                .onMessage(Commit.class, this::onCommit)
                .onMessage(Abort.class, this::onAbort)
                .onMessage(Ended.class, this::onEnded)
                .onSignal(Terminated.class, this::onTaskStopped)
                .build();
    }

    private Behavior<Command> onBegun(Begun msg) {
        begun = msg.error() == null;
        expect(State.BEGINNING, "begun");
        state = State.OPEN;
        flowRun.tell(new FlowRun.StageBegun(stage, msg.error()));
        return abortIfIdle();
    }

    private Behavior<Command> onRunTask(RunTask msg) {
        String task = msg.plan().name();
        if (state != State.OPEN || abortWhenIdle != null || running.containsKey(task)) {
            msg.inputs().stream().filter(in -> in.inline() != null).forEach(in -> in.inline().close());
            throw new IllegalStateException(where() + ": asked to run task '" + task + "' (attempt " + msg.attempt()
                    + ") while the stage is " + state + (abortWhenIdle != null ? " and aborting" : "")
                    + (running.containsKey(task) ? " and the task is running" : "")
                    + " (a bug in Weir's runtime; the run stops)");
        }
        String name = "task-" + URLEncoder.encode(task, StandardCharsets.UTF_8) + "-" + msg.attempt();
        Running child;
        if (msg.plan().task().batched() && msg.plan().decision() == TaskPlan.Decision.RUN) {
            ActorRef<BatchedTaskRun.Command> ref = getContext().spawn(BatchedTaskRun.create(execution, msg.plan(),
                    msg.inputs(), execution.placement() == null ? ChunkPlacement.local(services.blocking())
                            : ChunkPlacement.remote(execution.placement(), services.blocking()), services.blocking(),
                    execution.config().retry(), getContext().getSelf(), listener, execution.runId()), name);
            child = new Running(ref, reason -> ref.tell(new BatchedTaskRun.Cancel(reason)));
        } else {
            ActorRef<TaskRun.Command> ref = getContext().spawn(TaskRun.create(execution, msg.plan(), msg.inputs(),
                    msg.attempt(), services.blocking(), getContext().getSelf()), name);
            child = new Running(ref, reason -> ref.tell(new TaskRun.Cancel(reason)));
        }
        getContext().watch(child.ref());
        running.put(task, child);
        return this;
    }

    private Behavior<Command> onCancelTasks(CancelTasks msg) {
        running.values().forEach(task -> task.cancel().accept(msg.reason()));
        return this;
    }

    private Behavior<Command> onTaskDone(TaskDone msg) {
        running.remove(msg.outcome().task().name());
        worthKeeping |= msg.outcome().succeeded();
        flowRun.tell(new FlowRun.TaskFinished(msg.outcome()));
        return abortIfIdle();
    }

    /**
     * A task actor stopped. After its report that is its normal end; before, it failed on its own, and
     * the run hears of a failed attempt that names the task and the cause.
     */
    private Behavior<Command> onTaskStopped(Terminated signal) {
        String task = running.entrySet().stream().filter(e -> e.getValue().ref().equals(signal.getRef()))
                .map(Map.Entry::getKey).findFirst().orElse(null);
        if (task == null) {
            return this; // it reported before it stopped
        }
        running.remove(task);
        Throwable cause = signal instanceof ChildFailed failed ? failed.getCause() : null;
        TaskFailedException error = new TaskFailedException(execution.flow().name(), stage, task,
                "its actor stopped before it reported" + (cause == null ? "" : ": " + cause), cause);
        flowRun.tell(new FlowRun.TaskFinished(new TaskOutcome(new dev.weir.engine.TaskId(stage, task), null, error, false, 0, null)));
        return abortIfIdle();
    }

    private void expect(State expected, String what) {
        if (state != expected) {
            throw new IllegalStateException(where() + ": " + what + " while " + state + ", expected " + expected
                    + " (a bug in Weir's runtime; the run stops)");
        }
    }

    private String where() {
        return "flow '" + execution.flow().name() + "', stage '" + stage + "'";
    }

    private Behavior<Command> onCommit(Commit msg) {
        expect(State.OPEN, "told to commit");
        if (!running.isEmpty() || abortWhenIdle != null) {
            throw new IllegalStateException(where() + ": told to commit while tasks " + running.keySet()
                    + " run" + (abortWhenIdle != null ? " and an abort waits" : "") + " (a bug in Weir's runtime)");
        }
        state = State.ENDING;
        TableStore store = execution.store();
        getContext().pipeToSelf(CompletableFuture.runAsync(() -> {
            lock.verify();
            if (msg.subset()) {
                copyUntouchedTables(store);
                msg.carryForward().forEach(store::recordTask);
            }
            commit(store);
            execution.blobs().commit(stage, execution.runId());
        }, services.blocking()), (ok, error) -> new Ended(error == null, error, null));
        return this;
    }

    /**
     * Blocking: commits the stage in the store, retrying a transient failure up to the instance's retry
     * policy's attempts, with its backoff. A failed attempt may have committed all the same (the connection
     * dropped after the database committed, before its acknowledgement arrived), so before any retry the
     * stage's commit marker is read again: a marker that moved since before the first attempt means that
     * attempt committed, and the stage is committed. The instance lock is checked right before each
     * attempt, so that nothing commits without it; while it is held nobody else commits this stage, so
     * only this run's attempts can move the marker.
     */
    private void commit(TableStore store) {
        String flow = execution.flow().name();
        InstanceConfig.RetryPolicy retry = execution.config().retry();
        Optional<String> before = null; // the marker before any attempt, once read
        boolean unsure = false; // true after an attempt failed and before the marker says how it ended
        for (int attempt = 1; ; attempt++) {
            try {
                if (before == null) {
                    before = store.commitMarker(stage);
                } else if (unsure) {
                    if (!store.commitMarker(stage).equals(before)) {
                        LOG.warn("Flow '{}', stage '{}': commit attempt {} failed, yet it committed"
                                + " (the stage's last commit moved); the stage is committed", flow, stage, attempt - 1);
                        return;
                    }
                    unsure = false;
                }
                lock.verify(); // copying forward and backing off take time: the last check is right before the commit
                unsure = true;
                store.commitStage(stage, flow);
                return;
            } catch (RuntimeException e) {
                if (!Failures.isTransient(e)) {
                    throw e;
                }
                if (unsure && markerMoved(store, before)) {
                    LOG.warn("Flow '{}', stage '{}': commit attempt {} failed, yet it committed (the stage's last"
                            + " commit moved): {}", flow, stage, attempt, Failures.firstLine(e));
                    return;
                }
                if (attempt >= retry.maxAttempts()) {
                    throw new StoreException(where() + ": cannot commit the stage after " + attempt
                            + (attempt == 1 ? " attempt" : " attempts")
                            + (unsure ? " (whether the last one committed could not be read)" : "")
                            + "; the last failed with: " + Failures.firstLine(e), null, false, e);
                }
                java.time.Duration backoff = retry.backoff(attempt);
                LOG.warn("Flow '{}', stage '{}': commit attempt {} of {} failed transiently; retrying in {} ms: {}",
                        flow, stage, attempt, retry.maxAttempts(), backoff.toMillis(), Failures.firstLine(e));
                try {
                    Thread.sleep(backoff.toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new StoreException(where() + ": interrupted while waiting to retry the commit"
                            + " of the stage after: " + Failures.firstLine(e), null, false, e);
                }
            }
        }
    }

    /**
     * After a failed attempt: true when the stage's commit marker moved, so the attempt committed; false
     * when it did not, or when it cannot be read now (the next attempt reads it again first).
     */
    private boolean markerMoved(TableStore store, Optional<String> before) {
        try {
            return !store.commitMarker(stage).equals(before);
        } catch (RuntimeException e) {
            LOG.debug("Flow '{}', stage '{}': cannot read the stage's last commit yet: {}",
                    execution.flow().name(), stage, Failures.firstLine(e));
            return false;
        }
    }

    private void copyUntouchedTables(TableStore store) {
        if (!store.isCommitted(stage)) {
            return;
        }
        String committed = store.committedSchema(stage);
        String transaction = store.transactionSchema(stage);
        Set<String> written = new HashSet<>(store.listTables(transaction));
        for (String table : store.listTables(committed)) {
            if (!written.contains(table)) {
                store.copyTable(new TableLocation(committed, table), new TableLocation(transaction, table),
                        TableSpec.NONE);
            }
        }
    }

    /**
     * Ends the transaction without committing it. When it had begun and a task finished in it, what its
     * finished tasks wrote is kept (tables, cache entries, blobs) for the next run of the flow to resume; the
     * committed stage stays as it was either way.
     */
    private Behavior<Command> onAbort(Abort msg) {
        if (state == State.ENDING || abortWhenIdle != null) {
            return this; // already ending: the run hears how it ended
        }
        abortWhenIdle = msg.reason();
        return abortIfIdle();
    }

    /** Starts the abort asked for once the stage has begun and no task of it runs. */
    private Behavior<Command> abortIfIdle() {
        if (abortWhenIdle == null || state != State.OPEN || !running.isEmpty()) {
            return this;
        }
        state = State.ENDING;
        String reason = abortWhenIdle;
        boolean keep = begun && worthKeeping;
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
            if (!lock.isHeld()) {
                return reason + "; the instance lock was lost, so its transaction schema was left as it is"
                        + " (another run may own it now)";
            }
            if (keep) {
                execution.store().keepStage(stage, execution.flow().name(), execution.runId());
            } else {
                execution.store().abortStage(stage);
                execution.blobs().abort(stage);
            }
            return reason;
        }, services.blocking()), (said, error) -> new Ended(false, error, error == null ? said : reason));
        return this;
    }

    private Behavior<Command> onEnded(Ended msg) {
        expect(State.ENDING, "ended");
        flowRun.tell(new FlowRun.StageEnded(stage, msg.committed(), msg.error(), msg.reason()));
        return Behaviors.stopped();
    }

    static TaskRecord rerecord(String runId, TaskPlan plan) {
        return new TaskRecord(plan.stage(), plan.name(), plan.positionKey(), plan.cached().toJson(), runId, Instant.now());
    }
}
