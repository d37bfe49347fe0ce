package dev.weir.engine.stream;

import java.util.HashMap;
import java.util.Map;

/**
 * Which source batches are in a run: per batch id, how many queue entries, calls, join parts and
 * outputs (including those handed to the reader and not yet all read) hold a piece of it. The run pulls
 * from the source only while fewer than {@code max-in-flight} ids are here. Owned by the
 * {@link StreamRun} actor; never touched from another thread.
 */
final class InFlight {

    private final Map<Long, Integer> holds = new HashMap<>();
    private int peak;

    void hold(long batchId) {
        holds.merge(batchId, 1, Integer::sum);
        peak = Math.max(peak, holds.size());
    }

    /** Drops one hold; {@code true} when it was the batch's last, and the batch has left the run. */
    boolean release(long batchId) {
        return holds.computeIfPresent(batchId, (k, n) -> n == 1 ? null : n - 1) == null;
    }

    /** Forgets every batch: the run is stopping and has closed what held them. */
    void clear() {
        holds.clear();
    }

    int size() {
        return holds.size();
    }

    boolean isEmpty() {
        return holds.isEmpty();
    }

    /** The most batches there have been in the run at once. */
    int peak() {
        return peak;
    }
}
