package dev.weir.engine.runtime;

import dev.weir.engine.batch.Chunk;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Where a chunk's work runs. The local placement spawns the {@link ChunkRun} as a child of its task,
 * in this JVM; the remote one spawns a {@link RemoteChunkRun} that has a
 * {@link dev.weir.engine.placement.ChunkPlacement} run the chunk elsewhere, behind the same protocol.
 */
interface ChunkPlacement {

    ActorRef<ChunkRun.Command> place(ActorContext<BatchedTaskRun.Command> task, ChunkExecution execution, Chunk chunk,
                                     int attempt);

    /** How many chunks of a task with these bounds compute at once. */
    default int computeParallelism(ChunkExecution execution, HookLimits limits) {
        return limits.computeParallelism();
    }

    /**
     * Whether every chunk runs in this JVM, reading its rows through the task's own {@link ChunkExecution}:
     * only then may the task read an input in the store once and split it among its chunks on local disk
     * ({@link ChunkExecution#route}); a chunk on another node reads its rows with its predicate. Default:
     * false.
     */
    default boolean inThisJvm() {
        return false;
    }

    /** Whether the chunks of {@code execution} run on other nodes. Default: false. */
    default boolean placesRemotely(ChunkExecution execution) {
        return false;
    }

    /** Chunks as children of their task, on this JVM's blocking dispatcher. */
    static ChunkPlacement local(Executor blocking) {
        return new ChunkPlacement() {
            @Override
            public ActorRef<ChunkRun.Command> place(ActorContext<BatchedTaskRun.Command> task, ChunkExecution execution,
                                                    Chunk chunk, int attempt) {
                return task.spawn(ChunkRun.create(execution, chunk, attempt, blocking, task.getSelf()),
                        "chunk-" + chunk.index() + "-" + attempt);
            }

            @Override
            public boolean inThisJvm() {
                return true;
            }
        };
    }

    /**
     * Chunks placed by {@code remote} (e.g. on a cluster's worker nodes), up to its capacity at once; the
     * chunks of a task that reads a blob run locally, and those of a task that reads an inlined table too,
     * unless {@code remote} {@link dev.weir.engine.placement.ChunkPlacement#carriesInline carries} their rows.
     */
    static ChunkPlacement remote(dev.weir.engine.placement.ChunkPlacement remote, Executor blocking) {
        ChunkPlacement local = local(blocking);
        return new ChunkPlacement() {
            @Override
            public ActorRef<ChunkRun.Command> place(ActorContext<BatchedTaskRun.Command> task, ChunkExecution execution,
                                                    Chunk chunk, int attempt) {
                if (!execution.placeableRemotely(remote.carriesInline())) {
                    return local.place(task, execution, chunk, attempt);
                }
                return task.spawn(RemoteChunkRun.create(execution, chunk, attempt, remote, blocking, task.getSelf()),
                        "chunk-" + chunk.index() + "-" + attempt);
            }

            @Override
            public boolean placesRemotely(ChunkExecution execution) {
                return execution.placeableRemotely(remote.carriesInline());
            }

            @Override
            public int computeParallelism(ChunkExecution execution, HookLimits limits) {
                return execution.placeableRemotely(remote.carriesInline()) ? Math.max(limits.computeParallelism(), remote.capacity())
                        : limits.computeParallelism();
            }
        };
    }
}
