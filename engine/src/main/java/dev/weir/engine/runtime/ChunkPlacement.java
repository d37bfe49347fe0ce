package dev.weir.engine.runtime;

import dev.weir.engine.batch.Chunk;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Where a chunk's work runs. The local placement spawns the {@link ChunkRun} as a child of its task,
 * in this JVM; a cluster placement would start it on a worker node behind the same call.
 */
interface ChunkPlacement {

    ActorRef<ChunkRun.Command> place(ActorContext<BatchedTaskRun.Command> task, ChunkExecution execution, Chunk chunk,
                                     int attempt);

    /** Chunks as children of their task, on this JVM's blocking dispatcher. */
    static ChunkPlacement local(Executor blocking) {
        return (task, execution, chunk, attempt) -> task.spawn(
                ChunkRun.create(execution, chunk, attempt, blocking, task.getSelf()),
                "chunk-" + chunk.index() + "-" + attempt);
    }
}
