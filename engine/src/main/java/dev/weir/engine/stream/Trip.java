package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.stream.IntStream;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Ready calls of one lane that run in one slot: handed to the placement together, run one after
 * another, reported to the run in one message when all have ended.
 *
 * <p>Made by the run's actor, or — for a trip that goes on from the one before it (see {@link Relay}) —
 * on the thread where that one ended. Its outcomes are recorded by {@link #ended} on the thread where
 * its calls ended, before the run is told; the run reads them only after that message, which orders
 * the two.
 */
final class Trip {

    final TaskLane lane;
    final List<TaskLane.Ready> ready;
    private final List<BatchCall> calls;
    private final long[] rowsIn;
    private ArrowTable[] outputs;
    private Throwable[] errors;
    private long[] rowsOut;

    /** Makes the calls, which take over the ready calls' inputs. */
    Trip(TaskLane lane, List<TaskLane.Ready> ready, Map<String, Object> context, BufferAllocator allocator) {
        this.lane = lane;
        this.ready = List.copyOf(ready);
        this.calls = new ArrayList<>(ready.size());
        this.rowsIn = new long[ready.size()];
        for (int i = 0; i < ready.size(); i++) {
            TaskLane.Ready call = ready.get(i);
            rowsIn[i] = call.rows();
            calls.add(new BatchCall(lane.name, call.batchId(), call.inputs(), context, allocator, lane.function,
                    lane.then));
        }
    }

    /** The calls, for the placement, which owns them from then on. */
    List<BatchCall> calls() {
        return calls;
    }

    /** Records what each call's stage (all complete, in the order of the calls) came to. */
    void ended(List<CompletionStage<ArrowTable>> stages) {
        outputs = new ArrowTable[stages.size()];
        errors = new Throwable[stages.size()];
        rowsOut = new long[stages.size()];
        for (int i = 0; i < stages.size(); i++) {
            try {
                ArrowTable output = stages.get(i).toCompletableFuture().getNow(null);
                if (output == null) {
                    throw new CompletionException(new IllegalStateException(
                            "the placement ended the call of task '" + lane.name + "' without an output"));
                }
                outputs[i] = output;
                rowsOut[i] = output.rowCount();
            } catch (CompletionException | CancellationException e) {
                errors[i] = e;
            }
        }
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

    /**
     * The output of call {@code i}; {@code null} when it failed. The caller owns it — unless the trip
     * was relayed, in which case the outputs belong to the next trip.
     */
    ArrowTable output(int i) {
        return outputs[i];
    }

    /** The rows of call {@code i}'s output, counted when it ended. */
    long rowsOut(int i) {
        return rowsOut[i];
    }

    /** Why call {@code i} failed, or {@code null}. */
    Throwable error(int i) {
        return errors[i];
    }

    /** The batch ids of the calls that returned an output. */
    long[] batchesWithOutput() {
        return IntStream.range(0, outputs.length).filter(i -> outputs[i] != null)
                .mapToLong(i -> ready.get(i).batchId()).toArray();
    }

    /** Whether any call returned an output. */
    boolean anyOutput() {
        for (ArrowTable output : outputs) {
            if (output != null) {
                return true;
            }
        }
        return false;
    }
}
