package dev.weir.engine.runtime;

import dev.weir.engine.batch.Chunk;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One attempt of one chunk of a batched task: computes as soon as it is spawned (its rows of the
 * inputs, the task's function; or finds its chunk cache entry), reports {@link BatchedTaskRun.Computed},
 * waits for {@link Upload} (its task grants upload slots), appends to its task's outputs and stops. The computed data is owned here until
 * uploaded; stopping earlier frees it.
 */
final class ChunkRun extends AbstractBehavior<ChunkRun.Command> {

    sealed interface Command {
    }

    /** The task grants an upload slot. */
    record Upload() implements Command {
    }

    /** The task failed elsewhere: free the data and stop. */
    record Cancel() implements Command {
    }

    private record ComputeDone(ChunkExecution.ChunkResult result, Throwable error) implements Command {
    }

    private record UploadDone(ChunkExecution.Uploaded uploaded, Throwable error) implements Command {
    }

    private final ChunkExecution execution;
    private final Chunk chunk;
    private final int attempt;
    private final Executor blocking;
    private final ActorRef<BatchedTaskRun.Command> task;
    private ChunkExecution.ChunkResult computed;

    static Behavior<Command> create(ChunkExecution execution, Chunk chunk, int attempt, Executor blocking,
                                    ActorRef<BatchedTaskRun.Command> task) {
        return Behaviors.setup(ctx -> {
            ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> {
                try {
                    return execution.compute(chunk, attempt);
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }, blocking), ComputeDone::new);
            return new ChunkRun(ctx, execution, chunk, attempt, blocking, task);
        });
    }

    private ChunkRun(ActorContext<Command> context, ChunkExecution execution, Chunk chunk, int attempt, Executor blocking,
                     ActorRef<BatchedTaskRun.Command> task) {
        super(context);
        this.execution = execution;
        this.chunk = chunk;
        this.attempt = attempt;
        this.blocking = blocking;
        this.task = task;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(ComputeDone.class, this::onComputed)
                .onMessage(Upload.class, this::onUpload)
                .onMessage(UploadDone.class, this::onUploaded)
                .onMessage(Cancel.class, msg -> Behaviors.stopped())
                .onSignal(PostStop.class, signal -> {
                    if (computed != null) {
                        computed.close();
                    }
                    return this;
                })
                .build();
    }

    private Behavior<Command> onComputed(ComputeDone msg) {
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
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
            try {
                return execution.upload(result, attempt);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, blocking), UploadDone::new);
        return this;
    }

    private Behavior<Command> onUploaded(UploadDone msg) {
        if (msg.error() != null) {
            task.tell(new BatchedTaskRun.ChunkFailed(chunk, attempt, Failures.unwrap(msg.error()), true));
        } else {
            task.tell(new BatchedTaskRun.Uploaded(chunk, attempt, msg.uploaded().rows(), msg.uploaded().state()));
        }
        return Behaviors.stopped();
    }
}
