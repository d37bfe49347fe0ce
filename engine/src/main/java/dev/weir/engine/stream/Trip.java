package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Ready calls of one lane that the {@link Scheduler} gave one slot: handed to the placement together,
 * run one after another, reported to the run in one message when all have ended. Made and read on the
 * run's actor thread.
 */
final class Trip {

    final TaskLane lane;
    final List<TaskLane.Ready> ready;
    private final List<BatchCall> calls;
    private final long[] rowsIn;
    private List<CompletableFuture<ArrowTable>> results = List.of();

    Trip(TaskLane lane, List<TaskLane.Ready> ready) {
        this.lane = lane;
        this.ready = List.copyOf(ready);
        this.calls = new ArrayList<>(ready.size());
        this.rowsIn = new long[ready.size()];
    }

    /**
     * Makes the calls (which take over the ready calls' inputs), hands them to {@code placement} and
     * returns a stage that completes once every call has ended.
     */
    CompletableFuture<?> submit(BatchPlacement placement, Map<String, Object> context, BufferAllocator allocator) {
        for (int i = 0; i < ready.size(); i++) {
            TaskLane.Ready call = ready.get(i);
            rowsIn[i] = call.rows();
            calls.add(new BatchCall(lane.name, call.batchId(), call.inputs(), context, allocator, lane.function,
                    lane.then));
        }
        results = new ArrayList<>(calls.size());
        try {
            for (CompletionStage<ArrowTable> stage : placement.submitAll(calls)) {
                results.add(stage.toCompletableFuture());
            }
        } catch (RuntimeException e) {
            results.clear();
            calls.forEach(c -> results.add(CompletableFuture.failedFuture(e)));
        }
        return results.size() == 1 ? results.get(0)
                : CompletableFuture.allOf(results.toArray(CompletableFuture[]::new));
    }

    int size() {
        return ready.size();
    }

    BatchCall call(int i) {
        return calls.get(i);
    }

    long rowsIn(int i) {
        return rowsIn[i];
    }

    /** The output of call {@code i}, which the caller then owns; {@code null} when it failed. */
    ArrowTable output(int i) {
        return results.get(i).isCompletedExceptionally() ? null : results.get(i).getNow(null);
    }

    /** Why call {@code i} failed, or {@code null}. */
    Throwable error(int i) {
        try {
            results.get(i).getNow(null);
            return null;
        } catch (CompletionException | CancellationException e) {
            return e;
        }
    }
}
