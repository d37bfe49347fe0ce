package dev.weir.engine.runtime;

import dev.weir.engine.RunEvent;
import dev.weir.engine.TaskResult.ChunkState;
import dev.weir.engine.batch.Chunk;
import dev.weir.engine.config.InstanceConfig.RetryPolicy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
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
 * One batched task: prepares its chunks, runs them as {@link ChunkRun}s with at most
 * {@code computeParallelism} computing and {@code uploadParallelism} uploading, and at most
 * {@code maxBufferedChunks} computed chunks waiting for an upload slot (no new chunk starts computing
 * when it could make more wait, so a slow store holds back computation and memory stays bounded by the
 * chunks, not the table). Each chunk appends straight to the task's output tables. Retries a chunk
 * that fails transiently; on a permanent failure cancels the rest and, once every chunk has ended,
 * drops the partial outputs. Finally seals the outputs and reports the task's outcome to its stage.
 *
 * <p>The hook is user code: it is asked for its chunks and its bounds ({@link HookLimits}, checked) on
 * the blocking dispatcher, never on this actor's thread. Chunk actors are watched: one that stops
 * before reporting fails the task, naming the chunk. Should this actor itself fail, its stage hears of
 * it through its own watch; {@code PostStop} then frees the inlined inputs and the chunk cache (the
 * chunks' own {@code PostStop} frees their data).
 */
final class BatchedTaskRun extends AbstractBehavior<BatchedTaskRun.Command> {

    sealed interface Command {
    }

    private record Prepared(Ready ready, Throwable error) implements Command {
    }

    /** What preparing yields, off this actor's thread: the task's chunk execution, its bounds and chunks. */
    private record Ready(ChunkExecution execution, HookLimits limits, List<Chunk> chunks) {
    }

    record Computed(Chunk chunk, int attempt, long rows, ActorRef<ChunkRun.Command> ref) implements Command {
    }

    /** A chunk's outputs are in the store; {@code node}: the node that ran it, null for this JVM. */
    record Uploaded(Chunk chunk, int attempt, long rows, ChunkState state, String node) implements Command {
        Uploaded(Chunk chunk, int attempt, long rows, ChunkState state) {
            this(chunk, attempt, rows, state, null);
        }
    }

    record ChunkFailed(Chunk chunk, int attempt, Throwable error, boolean duringUpload) implements Command {
    }

    private record RetryChunk(Chunk chunk) implements Command {
    }

    /** The run is cancelled: interrupt the chunks at work and fail the task. */
    record Cancel(String reason) implements Command {
    }

    private record TimedOut() implements Command {
    }

    private record Finished(OutputSet outputs, Throwable error) implements Command {
    }

    /** The partial outputs of the failed task are dropped ({@code dropError} null) or could not be. */
    private record Discarded(Throwable error, Throwable dropError) implements Command {
    }

    private final TaskExecution task;
    private final TaskPlan plan;
    private final List<InputSpec> inputs;
    /** Null until prepared. */
    private ChunkExecution execution;
    private HookLimits limits;
    private final ChunkPlacement placement;
    private final Executor blocking;
    private final RetryPolicy retry;
    private final ActorRef<StageRun.Command> stage;
    private final ActorRef<RunEvent> listener;
    private final String runId;
    private final TimerScheduler<Command> timers;
    private final long start = System.nanoTime();
    private final Limits limit;

    private List<Chunk> chunks = List.of();
    private final Deque<Chunk> toCompute = new ArrayDeque<>();
    private final Deque<Computed> waiting = new ArrayDeque<>();
    /** The chunks computing or uploading, by chunk index: what a timeout or a cancel interrupts. */
    private final Map<Integer, ActorRef<ChunkRun.Command>> active = new HashMap<>();
    /** The chunks of {@link #active} that are uploading. */
    private final Set<Integer> inUpload = new HashSet<>();
    private BlockingCall<Ready> preparing;
    private final Map<Integer, Integer> attempts = new HashMap<>();
    private final Map<Integer, ChunkState> states = new HashMap<>();
    /** The node each chunk run elsewhere ran on, by chunk index. */
    private final Map<Integer, String> nodes = new HashMap<>();
    private int computing;
    private int uploading;
    private int retrying;
    private int done;
    private long rows;
    private Throwable failure;
    /** The outcome is on its way to the stage (after dropping the outputs of a failed task). */
    private boolean reportedOutcome;
    /** The outputs are being sealed: a timeout or cancel now waits for that to end. */
    private boolean finishing;
    /** The outcome was told to the stage. */
    private boolean told;
    private boolean released;

    static Behavior<Command> create(TaskExecution task, TaskPlan plan, List<InputSpec> inputs, ChunkPlacement placement,
                                    Executor blocking, RetryPolicy retry, ActorRef<StageRun.Command> stage,
                                    ActorRef<RunEvent> listener, String runId) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            BatchedTaskRun run = new BatchedTaskRun(ctx, timers, task, plan, inputs, placement, blocking, retry, stage,
                    listener, runId);
            boolean local = placement.inThisJvm();
            run.preparing = BlockingCall.start(() -> prepare(task, plan, inputs, local), blocking);
            ctx.pipeToSelf(run.preparing.future(), Prepared::new);
            timers.startSingleTimer(new TimedOut(), run.limit.duration());
            return run;
        }));
    }

    /**
     * Blocking: the hook is user code. Prepares the chunks and splits the inputs among them once where the
     * hook routes rows (an input in the store only when {@code local}: every chunk runs in this JVM).
     * Closes what it made when the hook fails.
     */
    private static Ready prepare(TaskExecution task, TaskPlan plan, List<InputSpec> inputs, boolean local) {
        ChunkExecution execution = null;
        try {
            execution = new ChunkExecution(task, plan, inputs);
            HookLimits limits = HookLimits.of(execution.hook());
            List<Chunk> chunks = execution.prepare();
            execution.route(chunks, local);
            return new Ready(execution, limits, chunks);
        } catch (Exception e) {
            if (execution != null) {
                execution.close();
            }
            throw new java.util.concurrent.CompletionException(e);
        }
    }

    private BatchedTaskRun(ActorContext<Command> context, TimerScheduler<Command> timers, TaskExecution task,
                           TaskPlan plan, List<InputSpec> inputs, ChunkPlacement placement, Executor blocking,
                           RetryPolicy retry, ActorRef<StageRun.Command> stage, ActorRef<RunEvent> listener,
                           String runId) {
        super(context);
        this.timers = timers;
        this.task = task;
        this.plan = plan;
        this.inputs = List.copyOf(inputs);
        this.placement = placement;
        this.blocking = blocking;
        this.retry = retry;
        this.stage = stage;
        this.listener = listener;
        this.runId = runId;
        this.limit = Limits.task(plan.task(), task.config());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Prepared.class, this::onPrepared)
                .onMessage(Computed.class, this::onComputed)
                .onMessage(Uploaded.class, this::onUploaded)
                .onMessage(ChunkFailed.class, this::onChunkFailed)
                .onMessage(RetryChunk.class, this::onRetry)
                .onMessage(Finished.class, this::onFinished)
                .onMessage(Discarded.class, this::onDiscarded)
                .onMessage(Cancel.class, msg -> stop(new dev.weir.engine.TaskFailedException(
                        task.flow().name(), plan.stage(), plan.name(),
                        "interrupted: " + msg.reason(), null)))
                .onMessage(TimedOut.class, msg -> stop(new dev.weir.engine.TaskTimeoutException(
                        task.flow().name(), plan.stage(), plan.name(), null,
                        limit.duration(), limit.setting())))
                .onSignal(Terminated.class, this::onChunkStopped)
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    /**
     * Fails the task at once: the chunks at work are interrupted, the computed ones freed, and the task
     * reports once every chunk has ended.
     */
    private Behavior<Command> stop(Throwable why) {
        if (failure != null || reportedOutcome) {
            return this;
        }
        getContext().getLog().warn("{}", why.getMessage());
        failure = why;
        preparing.interrupt();
        toCompute.clear();
        active.values().forEach(chunk -> chunk.tell(new ChunkRun.Interrupt(why.getMessage())));
        return pump();
    }

    private Behavior<Command> onPrepared(Prepared msg) {
        if (failure != null) {
            if (msg.ready() != null) {
                CompletableFuture.runAsync(msg.ready().execution()::close, blocking);
            }
            return this; // stopped while preparing: pump() has reported
        }
        if (msg.error() != null) {
            return report(null, ChunkExecution.failure(task.flow().name(), plan, null,
                    MemoryBudgets.explain(Failures.unwrap(msg.error()), task.config())));
        }
        execution = msg.ready().execution();
        limits = msg.ready().limits();
        chunks = msg.ready().chunks();
        toCompute.addAll(chunks);
        getContext().getLog().debug("Task '{}' runs in {} chunks ({})", plan.name(), chunks.size(),
                limits.description());
        return pump();
    }

    /** Starts uploads and computations as the bounds allow; finishes when every chunk is uploaded. */
    private Behavior<Command> pump() {
        while (!waiting.isEmpty() && uploading < limits.uploadParallelism()) {
            uploading++;
            Computed next = waiting.poll();
            active.put(next.chunk().index(), next.ref());
            inUpload.add(next.chunk().index());
            next.ref().tell(new ChunkRun.Upload());
        }
        while (failure == null && !toCompute.isEmpty() && computing < placement.computeParallelism(execution, limits)
                && mayWaitWith(computing + 1) && (idleBeforeNext() || !computesHere()
                || execution.hasMemoryForAnotherChunk(computing))) {
            Chunk chunk = toCompute.poll();
            int attempt = attempts.merge(chunk.index(), 1, Integer::sum);
            computing++;
            ActorRef<ChunkRun.Command> ref = placement.place(getContext(), execution, chunk, attempt);
            getContext().watch(ref);
            active.put(chunk.index(), ref);
        }
        boolean idle = computing == 0 && uploading == 0 && retrying == 0;
        if (failure != null && idle && !finishing) {
            waiting.forEach(computed -> computed.ref().tell(new ChunkRun.Cancel()));
            waiting.clear();
            return report(null, failure);
        }
        if (failure == null && done == chunks.size() && idle && !finishing) {
            finishing = true;
            getContext().pipeToSelf(CompletableFuture.supplyAsync(execution::finish, blocking), Finished::new);
        }
        return this;
    }

    /**
     * Whether nothing of this task holds memory: then a chunk starts whatever its expected size, so that a task
     * always progresses (a chunk larger than the budget fails with the budget's error).
     */
    private boolean idleBeforeNext() {
        return computing == 0 && uploading == 0 && waiting.isEmpty();
    }

    /**
     * Whether the chunks compute in this JVM, holding their data in its memory: not when they are placed on
     * other nodes, whose memory this task's budget does not see (each worker's own budget bounds it).
     */
    private boolean computesHere() {
        return !placement.placesRemotely(execution);
    }

    /**
     * Whether {@code computing} chunks may compute without more than {@code maxBufferedChunks} results
     * ever waiting: each computing chunk may end up waiting, unless a free upload slot takes it. (A free
     * slot means nothing waits, since {@link #pump} hands waiting chunks to free slots first.) Checking
     * only the chunks waiting now would let every chunk still computing join them.
     */
    private boolean mayWaitWith(int computing) {
        int freeUploads = limits.uploadParallelism() - uploading;
        return waiting.size() + Math.max(0, computing - freeUploads) <= limits.maxBufferedChunks();
    }

    /**
     * A chunk actor stopped. After its report (or being cancelled) that is its normal end; before, it
     * failed on its own: the chunk fails for good, and the task with it, naming the chunk.
     */
    private Behavior<Command> onChunkStopped(Terminated signal) {
        ActorRef<?> ref = signal.getRef();
        Integer index = active.entrySet().stream().filter(e -> e.getValue().equals(ref)).map(Map.Entry::getKey)
                .findFirst().orElse(null);
        Computed waited = waiting.stream().filter(c -> c.ref().equals(ref)).findFirst().orElse(null);
        String phase;
        if (index != null) {
            active.remove(index);
            if (inUpload.remove(index)) {
                uploading--;
                phase = "uploading";
            } else {
                computing--;
                phase = "computing";
            }
        } else if (waited != null) {
            waiting.remove(waited);
            index = waited.chunk().index();
            phase = "waiting for its upload";
        } else {
            return this;
        }
        int lost = index;
        Chunk chunk = chunks.stream().filter(c -> c.index() == lost).findFirst().orElseThrow();
        Throwable cause = signal instanceof ChildFailed failed ? failed.getCause() : null;
        if (failure == null) {
            failure = execution.failure(chunk, new IllegalStateException("the chunk's actor stopped while " + phase
                    + " (attempt " + attempts.get(lost) + ")" + (cause == null ? "" : ": " + cause), cause));
            toCompute.clear();
            active.values().forEach(other -> other.tell(new ChunkRun.Interrupt(failure.getMessage())));
        }
        return pump();
    }

    private Behavior<Command> onComputed(Computed msg) {
        computing--;
        active.remove(msg.chunk().index());
        if (failure != null) {
            msg.ref().tell(new ChunkRun.Cancel());
        } else {
            waiting.add(msg);
        }
        return pump();
    }

    private Behavior<Command> onUploaded(Uploaded msg) {
        uploading--;
        active.remove(msg.chunk().index());
        inUpload.remove(msg.chunk().index());
        done++;
        rows += msg.rows();
        states.put(msg.chunk().index(), msg.state());
        if (msg.node() != null) {
            nodes.put(msg.chunk().index(), msg.node());
        }
        if (listener != null) {
            listener.tell(new RunEvent.ChunkFinished(runId, plan.stage(), plan.name(), done,
                    chunks.size(), rows, seconds(), msg.node()));
        }
        return pump();
    }

    private Behavior<Command> onChunkFailed(ChunkFailed msg) {
        if (msg.duringUpload()) {
            uploading--;
        } else {
            computing--;
        }
        active.remove(msg.chunk().index());
        inUpload.remove(msg.chunk().index());
        boolean transientFailure = Failures.isTransient(msg.error());
        if (failure == null && transientFailure && msg.attempt() < retry.maxAttempts()) {
            long millis = retry.backoff(msg.attempt()).toMillis();
            getContext().getLog().warn("Chunk {} of task '{}' failed transiently (attempt {} of {}); retrying in {} ms: {}",
                    msg.chunk().index(), plan.name(), msg.attempt(), retry.maxAttempts(), millis,
                    Failures.firstLine(msg.error()));
            retrying++;
            timers.startSingleTimer(new RetryChunk(msg.chunk()), Duration.ofMillis(millis));
        } else if (failure == null) {
            failure = execution.failure(msg.chunk(), msg.error());
        }
        return pump();
    }

    private Behavior<Command> onRetry(RetryChunk msg) {
        retrying--;
        if (failure == null) {
            toCompute.addFirst(msg.chunk());
        }
        return pump();
    }

    private Behavior<Command> onFinished(Finished msg) {
        if (failure != null) {
            return report(null, failure); // timed out or cancelled while sealing: the outputs are dropped
        }
        return msg.error() != null ? report(null, execution.failure(null, Failures.unwrap(msg.error()))) : report(msg.outputs(), null);
    }

    /**
     * Reports the outcome to the stage. A failed task first drops its partial outputs, so that nothing of
     * it is left should the stage commit, and a retry of the task starts clean.
     */
    private Behavior<Command> report(OutputSet outputs, Throwable error) {
        if (reportedOutcome) {
            return this;
        }
        reportedOutcome = true;
        timers.cancelAll();
        if (error != null && execution != null) {
            ChunkExecution appended = execution;
            getContext().pipeToSelf(CompletableFuture.runAsync(appended::discard, blocking),
                    (ok, dropError) -> new Discarded(error, dropError));
            return this;
        }
        if (error != null) {
            return tell(null, error); // failed before any chunk ran: nothing to drop
        }
        return tell(outputs, null);
    }

    private Behavior<Command> onDiscarded(Discarded msg) {
        if (msg.dropError() != null) {
            getContext().getLog().warn("Task '{}' failed and its partial outputs could not be dropped; the stage's"
                    + " abort drops them: {}", plan.name(), Failures.unwrap(msg.dropError()).toString());
        }
        return tell(null, msg.error());
    }

    private Behavior<Command> tell(OutputSet outputs, Throwable error) {
        boolean transientFailure = error != null && Failures.isTransient(error);
        List<ChunkState> chunkStates = outputs == null ? List.of()
                : chunks.stream().map(c -> states.get(c.index())).toList();
        if (outputs != null) {
            getContext().getLog().debug("Task '{}': {} chunks computed, {} from the chunk cache", plan.name(),
                    chunkStates.stream().filter(s -> s == ChunkState.COMPUTED).count(),
                    chunkStates.stream().filter(s -> s == ChunkState.CACHED).count());
        }
        release(); // every chunk has ended: nothing reads the inlined inputs or the cache now
        told = true;
        stage.tell(new StageRun.TaskDone(new TaskOutcome(plan.id(), outputs, error, transientFailure,
                seconds(), null, chunkStates, outputs == null ? Map.of() : nodes)));
        return Behaviors.stopped();
    }

    /**
     * Frees this task's views of its inlined inputs (on this thread: it only drops reference counts) and
     * closes the chunk cache (blocking, so off this thread); once.
     */
    private void release() {
        if (!released) {
            released = true;
            inputs.stream().filter(in -> in.inline() != null).forEach(in -> in.inline().close());
            if (execution != null) {
                CompletableFuture.runAsync(execution::close, blocking);
            }
        }
    }

    /**
     * Stopped before telling its stage (an exception here, or its stage stopped): frees what the task
     * holds; a preparation still under way is interrupted and its chunk execution closed when it ends.
     * The stage hears of the failure through its own watch.
     */
    private Behavior<Command> onPostStop(PostStop signal) {
        if (!told) {
            release();
            if (execution == null && preparing != null) {
                preparing.interrupt();
                preparing.future().thenAccept(ready -> ready.execution().close());
            }
        }
        return this;
    }

    private double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
