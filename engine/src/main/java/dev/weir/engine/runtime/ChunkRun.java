package dev.weir.engine.runtime;

import dev.weir.engine.TaskTimeoutException;
import dev.weir.engine.batch.Chunk;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
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
 * One attempt of one chunk of a batched task: computes as soon as it is spawned (its rows of the
 * inputs, the task's function; or finds its chunk cache entry), reports {@link BatchedTaskRun.Computed},
 * waits for {@link Upload} (its task grants upload slots), appends to its task's outputs and stops. The
 * computed data is owned here until uploaded; stopping earlier frees it.
 *
 * <p>Computing and uploading are each bounded by the chunk's limit ({@code chunk_timeout}, or the
 * task's own chunk timeout): past it, or on {@link Interrupt}, the blocking thread is interrupted and
 * the chunk reports {@link BatchedTaskRun.ChunkFailed} once the thread ends (or after
 * {@link Limits#GRACE}); data computed after all is freed when it arrives — also when this actor is
 * stopped with its thread at work.
 */
final class ChunkRun extends AbstractBehavior<ChunkRun.Command> {

    /** Also what a chunk placed on another node ({@link RemoteChunkRun}) answers to. */
    interface Command {
    }

    /** The task grants an upload slot. */
    record Upload() implements Command {
    }

    /** The task failed elsewhere while this chunk waits for its upload: free the data and stop. */
    record Cancel() implements Command {
    }

    /** The task timed out, failed or was cancelled while this chunk computes or uploads: interrupt it. */
    record Interrupt(String reason) implements Command {
    }

    private record ComputeDone(ChunkExecution.ChunkResult result, Throwable error) implements Command {
    }

    private record UploadDone(ChunkExecution.Uploaded uploaded, Throwable error) implements Command {
    }

    private record TimedOut() implements Command {
    }

    private record GraceOver() implements Command {
    }

    private final ChunkExecution execution;
    private final Chunk chunk;
    private final int attempt;
    private final Executor blocking;
    private final ActorRef<BatchedTaskRun.Command> task;
    private final TimerScheduler<Command> timers;
    private final Limits limit;
    private ChunkExecution.ChunkResult computed;
    /** The blocking work now running (compute or upload), or null while the chunk waits for its upload. */
    private BlockingCall<?> call;
    private boolean uploading;
    /** Why the running work was interrupted, or null. */
    private Throwable stopped;
    private boolean reported;

    static Behavior<Command> create(ChunkExecution execution, Chunk chunk, int attempt, Executor blocking,
                                    ActorRef<BatchedTaskRun.Command> task) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            ChunkRun run = new ChunkRun(ctx, timers, execution, chunk, attempt, blocking, task);
            BlockingCall<ChunkExecution.ChunkResult> compute = BlockingCall.start(() -> {
                try {
                    return execution.compute(chunk, attempt);
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, blocking);
            ctx.pipeToSelf(compute.future(), ComputeDone::new);
            run.started(compute);
            return run;
        }));
    }

    private ChunkRun(ActorContext<Command> context, TimerScheduler<Command> timers, ChunkExecution execution,
                     Chunk chunk, int attempt, Executor blocking, ActorRef<BatchedTaskRun.Command> task) {
        super(context);
        this.timers = timers;
        this.execution = execution;
        this.chunk = chunk;
        this.attempt = attempt;
        this.blocking = blocking;
        this.task = task;
        this.limit = Limits.chunk(execution.plan().task(), execution.config());
    }

    private void started(BlockingCall<?> work) {
        call = work;
        timers.startSingleTimer(new TimedOut(), limit.duration());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(ComputeDone.class, this::onComputed)
                .onMessage(Upload.class, this::onUpload)
                .onMessage(UploadDone.class, this::onUploaded)
                .onMessage(Cancel.class, msg -> Behaviors.stopped())
                .onMessage(Interrupt.class, msg -> interrupt(new CancellationException("interrupted: " + msg.reason())))
                .onMessage(TimedOut.class, msg -> interrupt(new TaskTimeoutException(execution.flow().name(),
                        execution.plan().stage(), execution.plan().name(),
                        "chunk " + chunk.index() + " (" + chunk.label() + ")" + (uploading ? " uploading" : ""),
                        limit.duration(), limit.setting())))
                .onMessage(GraceOver.class, this::onGraceOver)
                .onSignal(PostStop.class, signal -> {
                    if (computed != null) {
                        computed.close();
                    }
                    if (call != null) {
                        // Stopped with its thread at work (its task failed): nobody reads what the thread
                        // makes, so it is interrupted and what it computed is freed when it ends. An upload
                        // frees its data itself.
                        call.interrupt();
                        if (!uploading) {
                            call.future().thenAccept(result -> ((ChunkExecution.ChunkResult) result).close());
                        }
                    }
                    return this;
                })
                .build();
    }

    private Behavior<Command> onComputed(ComputeDone msg) {
        call = null;
        timers.cancelAll();
        if (stopped != null) {
            if (msg.result() != null) {
                msg.result().close();
            }
            report(stopped);
            return Behaviors.stopped();
        }
        if (msg.error() != null) {
            task.tell(new BatchedTaskRun.ChunkFailed(chunk, attempt, Failures.unwrap(msg.error()), false));
            return Behaviors.stopped();
        }
        computed = msg.result();
        task.tell(new BatchedTaskRun.Computed(chunk, attempt, computed.rows(), getContext().getSelf()));
        return this;
    }

    private Behavior<Command> onUpload(Upload msg) {
        ChunkExecution.ChunkResult result = computed;
        computed = null; // the upload owns it now, and frees it
        uploading = true;
        BlockingCall<ChunkExecution.Uploaded> upload = BlockingCall.start(() -> {
            try {
                return execution.upload(result, attempt);
            } catch (Exception e) {
                throw new CompletionException(e); // upload() has freed the data
            }
        }, blocking);
        upload.future().whenComplete((ok, error) -> {
            if (error != null && Failures.unwrap(error) instanceof CancellationException) {
                result.close(); // interrupted before it started: the work above never ran
            }
        });
        getContext().pipeToSelf(upload.future(), UploadDone::new);
        started(upload);
        return this;
    }

    private Behavior<Command> onUploaded(UploadDone msg) {
        call = null;
        timers.cancelAll();
        if (stopped != null) {
            report(stopped);
        } else if (msg.error() != null) {
            task.tell(new BatchedTaskRun.ChunkFailed(chunk, attempt, Failures.unwrap(msg.error()), true));
        } else {
            task.tell(new BatchedTaskRun.Uploaded(chunk, attempt, msg.uploaded().rows(), msg.uploaded().state()));
        }
        return Behaviors.stopped();
    }

    private Behavior<Command> interrupt(Throwable why) {
        if (stopped != null || call == null) {
            return this; // already interrupted, or computed and waiting: its task cancels it
        }
        stopped = why;
        call.interrupt();
        timers.startSingleTimer(new GraceOver(), Limits.GRACE);
        return this;
    }

    private Behavior<Command> onGraceOver(GraceOver msg) {
        if (!reported) {
            getContext().getLog().warn("Chunk {} of task '{}' did not stop within {} s of its interrupt; its thread"
                    + " ends on its own", chunk.index(), execution.plan().name(), Limits.GRACE.toSeconds());
            report(stopped);
        }
        return this; // waits for the thread, to free what it made
    }

    private void report(Throwable error) {
        if (!reported) {
            reported = true;
            task.tell(new BatchedTaskRun.ChunkFailed(chunk, attempt, error, uploading));
        }
    }
}
