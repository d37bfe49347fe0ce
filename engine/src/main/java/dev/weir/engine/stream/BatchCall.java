package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One call of one task on one batch, as handed to a {@link BatchPlacement}. Owns its input tables
 * until {@link #invoke()} (or {@link #discard()}) has run; exactly one of the two must be called,
 * once.
 *
 * <p>A call may carry a fused chain: tasks that each have this call's task (or the one before) as their
 * only input and only consumer. {@link #invoke()} then runs them one after another on the same thread,
 * each seeing its own {@link BatchInput}, and returns the last one's output; the run learns which of
 * them finished, and which failed, from {@link #stepsDone()} and {@link #failedTask()}.
 */
public final class BatchCall implements BatchInput {

    /** A task fused after the call's own task. */
    record Step(String task, BatchFunction function) {
    }

    private final String task;
    private final long batchId;
    private final Map<String, ArrowTable> inputs;
    private final Map<String, Object> context;
    private final BufferAllocator allocator;
    private final BatchFunction function;
    private final List<Step> then;
    /**
     * Rows returned by each step that has finished (the call's own task first). Written by the thread
     * that invokes the call and read by the run only after the call's stage has completed.
     */
    private final long[] rowsOut;
    private int stepsDone;
    /**
     * What the run's watchdog reads while the call runs: the step running (-1 when none), since when
     * ({@link System#nanoTime()}), and on which thread; {@code cancelled} once the run gave up on it.
     */
    private volatile int runningStep = -1;
    private volatile long stepStartedNanos;
    private Thread runner;
    private boolean interrupted;
    private volatile boolean cancelled;

    BatchCall(String task, long batchId, Map<String, ArrowTable> inputs, Map<String, Object> context,
              BufferAllocator allocator, BatchFunction function) {
        this(task, batchId, inputs, context, allocator, function, List.of());
    }

    BatchCall(String task, long batchId, Map<String, ArrowTable> inputs, Map<String, Object> context,
              BufferAllocator allocator, BatchFunction function, List<Step> then) {
        this.task = Objects.requireNonNull(task, "task is null");
        this.batchId = batchId;
        // Map.of keeps the one-input case (nearly every call) free of a copied LinkedHashMap.
        this.inputs = inputs.size() == 1 ? Map.copyOf(inputs) : Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        this.context = context;
        this.allocator = allocator;
        this.function = function;
        this.then = then;
        this.rowsOut = new long[1 + then.size()];
    }

    /**
     * Runs the task's function — and the functions of the tasks fused after it, each on the previous
     * output — and returns the last output, which the caller then owns. Every input is closed before
     * this returns or throws, except an input a function returned as its output. Blocking: call it on
     * the blocking dispatcher (or a worker), never on an actor thread.
     */
    public ArrowTable invoke() throws Exception {
        if (cancelled) {
            discard();
            throw new java.util.concurrent.CancellationException("the run gave up on the call of task '" + task
                    + "' on batch " + batchId + " before it started");
        }
        synchronized (this) {
            runner = Thread.currentThread();
        }
        try {
            started(0);
            ArrowTable output = invokeOwn();
            rowsOut[0] = output.rowCount();
            stepsDone = 1;
            String from = task;
            for (Step step : then) {
                started(stepsDone);
                output = new BatchCall(step.task(), batchId, Map.of(from, output), context, allocator,
                        step.function()).invokeOwn();
                rowsOut[stepsDone] = output.rowCount();
                stepsDone++;
                from = step.task();
            }
            return output;
        } finally {
            runningStep = -1;
            synchronized (this) {
                runner = null;
                if (interrupted) {
                    // The watchdog's interrupt was for this call: the thread goes back to its pool without it.
                    Thread.interrupted();
                }
            }
        }
    }

    private void started(int step) {
        stepStartedNanos = System.nanoTime();
        runningStep = step;
    }

    /**
     * The task of the step that has been running for longer than its bound at {@code now}, or null.
     * Any thread.
     */
    String overdue(long now, java.util.function.ToLongFunction<String> boundNanos) {
        int step = runningStep;
        if (step < 0) {
            return null;
        }
        String running = step == 0 ? task : then.get(step - 1).task();
        return now - stepStartedNanos > boundNanos.applyAsLong(running) ? running : null;
    }

    /**
     * The run has given up on this call: a call not started yet will not start (its inputs are freed
     * instead), and the thread running it, if any, is interrupted. Any thread.
     */
    void cancel() {
        cancelled = true;
        synchronized (this) {
            if (runner != null) {
                interrupted = true;
                runner.interrupt();
            }
        }
    }

    private ArrowTable invokeOwn() throws Exception {
        ArrowTable output = null;
        try {
            output = function.apply(this);
            if (output == null) {
                throw new IllegalStateException("the function returned null instead of an ArrowTable");
            }
            return output;
        } finally {
            for (ArrowTable input : inputs.values()) {
                if (input != output) {
                    input.close();
                }
            }
        }
    }

    /**
     * The tasks this call runs, in order: its own, then those fused after it. A placement that runs the
     * call elsewhere runs these tasks' functions there, each on the previous one's output.
     */
    public List<String> tasks() {
        List<String> tasks = new java.util.ArrayList<>(1 + then.size());
        tasks.add(task);
        then.forEach(step -> tasks.add(step.task()));
        return List.copyOf(tasks);
    }

    /** How many of the call's tasks (its own first, then the fused ones) have returned an output. */
    int stepsDone() {
        return stepsDone;
    }

    /** The rows step {@code step} returned; valid for {@code step < stepsDone()}. */
    long rowsOut(int step) {
        return rowsOut[step];
    }

    /** The task that was running when {@link #invoke()} threw. */
    String failedTask() {
        return stepsDone == 0 ? task : then.get(Math.min(stepsDone, then.size()) - 1).task();
    }

    /** Closes the inputs without running the task. */
    public void discard() {
        inputs.values().forEach(ArrowTable::close);
    }

    /** The number of input rows. */
    public long rows() {
        return inputs.values().stream().mapToLong(ArrowTable::rowCount).sum();
    }

    @Override
    public String task() {
        return task;
    }

    @Override
    public long batchId() {
        return batchId;
    }

    @Override
    public ArrowTable table() {
        if (inputs.size() != 1) {
            throw new IllegalStateException("task '" + task + "' has " + inputs.size() + " inputs " + inputs.keySet()
                    + "; read one with table(name)");
        }
        return inputs.values().iterator().next();
    }

    @Override
    public ArrowTable table(String upstream) {
        ArrowTable table = inputs.get(upstream);
        if (table == null) {
            throw new IllegalArgumentException("task '" + task + "' has no input from '" + upstream
                    + "'; its inputs are " + inputs.keySet());
        }
        return table;
    }

    @Override
    public Map<String, ArrowTable> tables() {
        return inputs;
    }

    @Override
    public <T> T context(String key, Class<T> type) {
        Object value = context.get(key);
        if (value == null) {
            throw new IllegalArgumentException("task '" + task + "': there is no context value '" + key
                    + "'; set it with context(\"" + key + "\", value) or under context in the settings; known: "
                    + context.keySet());
        }
        if (!type.isInstance(value)) {
            throw new IllegalArgumentException("task '" + task + "': context value '" + key + "' is a "
                    + value.getClass().getSimpleName() + ", not a " + type.getSimpleName());
        }
        return type.cast(value);
    }

    @Override
    public BufferAllocator allocator() {
        return allocator;
    }
}
