package dev.weir.engine.runtime;

import dev.weir.engine.TaskResult.ChunkState;
import dev.weir.engine.TaskTimeoutException;
import dev.weir.engine.batch.Chunk;
import dev.weir.engine.placement.ChunkCall;
import dev.weir.engine.placement.ChunkCallback;
import dev.weir.engine.placement.ChunkComputed;
import dev.weir.engine.placement.ChunkError;
import dev.weir.engine.placement.ChunkUploaded;
import dev.weir.engine.placement.ChunkWork;
import dev.weir.engine.placement.RemoteChunkException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One attempt of one chunk run by a {@link dev.weir.engine.placement.ChunkPlacement} on another node,
 * standing in for a {@link ChunkRun} towards its task: same protocol, same bounds. It describes the chunk
 * ({@link ChunkExecution#describe}, on the blocking dispatcher: the hook is user code), starts it, reports
 * {@link BatchedTaskRun.Computed} when the node has computed it, and on {@link ChunkRun.Upload} first
 * creates the output tables the chunk has rows for (here, so that nodes never race to create one), then
 * lets the node append. The data stays on the node. Computing and uploading are each bounded by the
 * chunk's limit; on a timeout or {@link ChunkRun.Interrupt} the node is told to stop and the chunk fails
 * at once (a late append of a failed task is dropped with its outputs). A failure arrives as a
 * {@link ChunkError} and is reported as a {@link RemoteChunkException}, transient when the error is (a
 * lost node), so the task retries the chunk with its next attempt number.
 */
final class RemoteChunkRun extends AbstractBehavior<ChunkRun.Command> {

    /** The chunk described, with its own rows of each inlined input (this actor owns them until it starts). */
    private record Described(ChunkWork work, java.util.Map<String, dev.weir.engine.data.ArrowTable> inline,
                             Throwable error) implements ChunkRun.Command {
        void free() {
            if (inline != null) {
                inline.values().forEach(dev.weir.engine.data.ArrowTable::close);
            }
        }
    }

    private record RemoteComputed(ChunkComputed computed) implements ChunkRun.Command {
    }

    private record RemoteUploaded(ChunkUploaded uploaded) implements ChunkRun.Command {
    }

    private record RemoteFailed(ChunkError error, boolean duringUpload) implements ChunkRun.Command {
    }

    private record OutputsReady(Throwable error) implements ChunkRun.Command {
    }

    private record TimedOut() implements ChunkRun.Command {
    }

    private final ChunkExecution execution;
    private final Chunk chunk;
    private final int attempt;
    private final dev.weir.engine.placement.ChunkPlacement placement;
    private final Executor blocking;
    private final ActorRef<BatchedTaskRun.Command> task;
    private final TimerScheduler<ChunkRun.Command> timers;
    private final Limits limit;
    private CompletableFuture<Described> describing;
    private ChunkCall call;
    private ChunkComputed computed;
    private boolean uploading;
    private boolean ended;

    static Behavior<ChunkRun.Command> create(ChunkExecution execution, Chunk chunk, int attempt,
                                             dev.weir.engine.placement.ChunkPlacement placement, Executor blocking,
                                             ActorRef<BatchedTaskRun.Command> task) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            RemoteChunkRun run = new RemoteChunkRun(ctx, timers, execution, chunk, attempt, placement, blocking, task);
            run.describing = CompletableFuture.supplyAsync(() -> {
                ChunkWork work = execution.describe(chunk, attempt);
                return new Described(work, execution.inlineRows(chunk), null);
            }, blocking);
            ctx.pipeToSelf(run.describing, (described, error) -> described != null ? described
                    : new Described(null, null, error));
            timers.startSingleTimer(new TimedOut(), run.limit.duration());
            return run;
        }));
    }

    private RemoteChunkRun(ActorContext<ChunkRun.Command> context, TimerScheduler<ChunkRun.Command> timers,
                           ChunkExecution execution, Chunk chunk, int attempt,
                           dev.weir.engine.placement.ChunkPlacement placement, Executor blocking,
                           ActorRef<BatchedTaskRun.Command> task) {
        super(context);
        this.timers = timers;
        this.execution = execution;
        this.chunk = chunk;
        this.attempt = attempt;
        this.placement = placement;
        this.blocking = blocking;
        this.task = task;
        this.limit = Limits.chunk(execution.plan().task(), execution.config());
    }

    @Override
    public Receive<ChunkRun.Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Described.class, this::onDescribed)
                .onMessage(RemoteComputed.class, this::onComputed)
                .onMessage(ChunkRun.Upload.class, this::onUpload)
                .onMessage(OutputsReady.class, this::onOutputsReady)
                .onMessage(RemoteUploaded.class, this::onUploaded)
                .onMessage(RemoteFailed.class, msg -> fail(new RemoteChunkException(msg.error()), msg.duringUpload()))
                .onMessage(ChunkRun.Cancel.class, msg -> {
                    ended = true;
                    if (call != null) {
                        call.cancel();
                    }
                    return Behaviors.stopped();
                })
                .onMessage(ChunkRun.Interrupt.class, msg -> {
                    if (call != null) {
                        call.interrupt(msg.reason());
                    }
                    return fail(new CancellationException("interrupted: " + msg.reason()), uploading);
                })
                .onMessage(TimedOut.class, msg -> {
                    if (call != null) {
                        call.interrupt("timed out");
                    }
                    return fail(new TaskTimeoutException(execution.flow().name(), execution.plan().stage(),
                            execution.plan().name(), "chunk " + chunk.index() + " (" + chunk.label() + ")"
                            + (uploading ? " uploading" : "") + " on another node", limit.duration(),
                            limit.setting()), uploading);
                })
                .onSignal(PostStop.class, signal -> {
                    if (call == null && describing != null) {
                        describing.thenAccept(Described::free); // stopped before it started: its rows are freed
                    }
                    if (!ended && call != null) {
                        call.cancel(); // stopped before its end (its task failed): the node frees the data
                    }
                    return this;
                })
                .build();
    }

    private Behavior<ChunkRun.Command> onDescribed(Described msg) {
        if (msg.error() != null) {
            return fail(Failures.unwrap(msg.error()), false);
        }
        ActorRef<ChunkRun.Command> self = getContext().getSelf();
        ChunkCallback callback = new ChunkCallback() {
            @Override
            public void computed(ChunkComputed computed) {
                self.tell(new RemoteComputed(computed));
            }

            @Override
            public void uploaded(ChunkUploaded uploaded) {
                self.tell(new RemoteUploaded(uploaded));
            }

            @Override
            public void failed(ChunkError error, boolean duringUpload) {
                self.tell(new RemoteFailed(error, duringUpload));
            }
        };
        try {
            call = msg.inline().isEmpty() ? placement.start(msg.work(), callback)
                    : placement.start(msg.work(), msg.inline(), callback); // the placement owns the rows now
        } catch (RuntimeException e) {
            describing = null; // the placement freed the rows
            return fail(e, false);
        }
        return this;
    }

    private Behavior<ChunkRun.Command> onComputed(RemoteComputed msg) {
        timers.cancel(TimedOut.class);
        computed = msg.computed();
        task.tell(new BatchedTaskRun.Computed(chunk, attempt, computed.rows(), getContext().getSelf()));
        return this;
    }

    private Behavior<ChunkRun.Command> onUpload(ChunkRun.Upload msg) {
        uploading = true;
        timers.startSingleTimer(new TimedOut(), limit.duration());
        ChunkComputed ready = computed;
        getContext().pipeToSelf(CompletableFuture.runAsync(() -> execution.prepareRemote(chunk, ready), blocking),
                (ok, error) -> new OutputsReady(error));
        return this;
    }

    private Behavior<ChunkRun.Command> onOutputsReady(OutputsReady msg) {
        if (ended) {
            return this;
        }
        if (msg.error() != null) {
            call.cancel();
            return fail(Failures.unwrap(msg.error()), true);
        }
        call.upload();
        return this;
    }

    private Behavior<ChunkRun.Command> onUploaded(RemoteUploaded msg) {
        ended = true;
        timers.cancelAll();
        try {
            execution.appendedRemotely(chunk, msg.uploaded());
        } catch (IllegalStateException e) {
            task.tell(new BatchedTaskRun.ChunkFailed(chunk, attempt, e, true));
            return Behaviors.stopped();
        }
        task.tell(new BatchedTaskRun.Uploaded(chunk, attempt, msg.uploaded().totalRows(), ChunkState.COMPUTED,
                msg.uploaded().node()));
        return Behaviors.stopped();
    }

    private Behavior<ChunkRun.Command> fail(Throwable error, boolean duringUpload) {
        if (!ended) {
            ended = true;
            timers.cancelAll();
            task.tell(new BatchedTaskRun.ChunkFailed(chunk, attempt, error, duringUpload));
        }
        return Behaviors.stopped();
    }
}
