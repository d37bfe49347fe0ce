package dev.weir.engine.runtime;

import dev.weir.engine.MemoryBudgetException;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.Memory;
import java.util.Optional;
import org.apache.arrow.memory.AllocationOutcomeDetails;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;

/**
 * The Arrow allocators of a run, its tasks and a batched task's chunks, each limited by its budget of
 * the instance's {@code memory} section, and the translation of Arrow's refusal into an error naming
 * the budget. The tree: the engine's root → {@code run-…} ({@code memory.run}) → {@code task-…}
 * ({@code memory.task}) → {@code chunk-…} ({@code memory.chunk}); what a chunk computed moves up to its
 * task's allocator while it waits for its upload, so it keeps counting toward the task.
 */
final class MemoryBudgets {

    static final String RUN = "run-";
    static final String TASK = "task-";
    static final String CHUNK = "chunk-";

    private MemoryBudgets() {
    }

    /** A run's allocator, from the engine's root; the caller closes it when the run has ended. */
    static BufferAllocator run(BufferAllocator root, String runId, Memory memory) {
        return root.newChildAllocator(RUN + runId, 0, memory.run());
    }

    /** A task's allocator, named {@code task-<name>}, from its run's; the caller closes it. */
    static BufferAllocator task(BufferAllocator run, String name, Memory memory) {
        return run.newChildAllocator(TASK + name, 0, memory.task());
    }

    /** A chunk's allocator, named {@code chunk-<name>}, from its task's; the caller closes it. */
    static BufferAllocator chunk(BufferAllocator task, String name, Memory memory) {
        return task.newChildAllocator(CHUNK + name, 0, memory.chunk());
    }

    /**
     * {@code e} as a {@link MemoryBudgetException} when Arrow refused an allocation because one of the
     * allocators above was at its limit (found anywhere in {@code e}'s causes, as user code and stores wrap
     * it); {@code e} itself otherwise, e.g. when a task's own child allocator was at its own limit.
     */
    static Throwable explain(Throwable e, InstanceConfig config) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof MemoryBudgetException) {
                return e;
            }
            if (isDirectMemoryExhausted(t)) {
                long limit = Memory.directMemoryLimit();
                return new MemoryBudgetException("memory.run", limit, "the JVM's direct memory, where Arrow's buffers"
                        + " live, is exhausted (-XX:MaxDirectMemorySize = " + Memory.describe(limit) + "; memory.run = "
                        + Memory.describe(config.memory().run()) + " in " + config.source() + "); raise"
                        + " -XX:MaxDirectMemorySize, or set memory.run well below it so that a task over it fails"
                        + " alone (" + t.getMessage() + ")", e);
            }
            if (t instanceof OutOfMemoryException oom) {
                Optional<BufferAllocator> failed = oom.getOutcomeDetails().map(AllocationOutcomeDetails::getFailedAllocator);
                if (failed.isEmpty()) {
                    return e;
                }
                String name = failed.get().getName();
                String key = name.startsWith(CHUNK) ? "memory.chunk" : name.startsWith(TASK) ? "memory.task"
                        : name.startsWith(RUN) ? "memory.run" : null;
                if (key == null) {
                    return e;
                }
                return new MemoryBudgetException(key, failed.get().getLimit(),
                        message(key, failed.get().getLimit(), oom.getMessage(), config), e);
            }
        }
        return e;
    }

    private static String message(String key, long limit, String refusal, InstanceConfig config) {
        String what = switch (key) {
            case "memory.chunk" -> "the chunk's Arrow memory (its rows of the inputs and what it returns)";
            case "memory.task" -> "the task's Arrow memory (a batched task's: its chunks computing and waiting for"
                    + " upload, and the buffers splitting its input)";
            default -> "the run's Arrow memory (all its tasks)";
        };
        String advice = switch (key) {
            case "memory.chunk" -> "raise it, or split the task into more, smaller chunks";
            case "memory.task" -> "raise it, or give a batched task more, smaller chunks or a lower computeParallelism"
                    + " or maxBufferedChunks";
            default -> "raise it, or run fewer tasks at once (orchestration.max_parallelism)";
        };
        return what + " would go over " + key + " = " + Memory.describe(limit) + " (" + config.source() + "); "
                + advice + " (Arrow: " + (refusal == null ? "allocation refused" : refusal.strip()) + ")";
    }

    /** The JDK's refusal to reserve more direct memory ({@code ByteBuffer.allocateDirect}, as Arrow's pools use it). */
    private static boolean isDirectMemoryExhausted(Throwable t) {
        return t instanceof OutOfMemoryError && t.getMessage() != null && t.getMessage().contains("direct buffer memory");
    }

    /** Whether {@code e} is, or is caused by, a refusal for memory: never cured by a retry. */
    static boolean isOutOfMemory(Throwable e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof MemoryBudgetException || t instanceof OutOfMemoryException || isDirectMemoryExhausted(t)) {
                return true;
            }
        }
        return false;
    }
}
