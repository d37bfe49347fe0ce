package dev.weir.engine.runtime;

import dev.weir.engine.batch.InvocationHook;

/**
 * What a batched task's {@link InvocationHook} says about running its chunks, asked once on the
 * blocking dispatcher (hooks are user code) and checked there, so that the task's actor only reads
 * these numbers. A bound below one would stall the task forever: it is refused with an error naming the
 * task and the hook.
 *
 * @param description        the hook's {@link InvocationHook#describe()}
 * @param computeParallelism chunks computing at once, at least 1
 * @param uploadParallelism  uploads in flight at once, at least 1
 * @param maxBufferedChunks  computed chunks waiting for an upload slot, at least 1
 */
record HookLimits(String description, int computeParallelism, int uploadParallelism, int maxBufferedChunks) {

    /** Asks {@code hook}; blocking (user code). The task's failure names the task around the error. */
    static HookLimits of(InvocationHook hook) {
        String description = hook.describe();
        if (description == null) {
            throw new InvalidHook("the invocation hook " + hook.getClass().getName()
                    + " describes itself as null; describe() must return its chunking, e.g. hash(customer_id) % 50");
        }
        return new HookLimits(description,
                atLeastOne(hook.computeParallelism(), "computeParallelism()", description),
                atLeastOne(hook.uploadParallelism(), "uploadParallelism()", description),
                atLeastOne(hook.maxBufferedChunks(), "maxBufferedChunks()", description));
    }

    private static int atLeastOne(int value, String what, String description) {
        if (value < 1) {
            throw new InvalidHook("the invocation hook " + description + " returned " + what + " = " + value
                    + "; it must be at least 1, or no chunk would ever run");
        }
        return value;
    }

    /** A hook answered something the engine cannot run; its message says what, for the task's error. */
    static final class InvalidHook extends IllegalStateException {
        InvalidHook(String message) {
            super(message);
        }
    }
}
