package dev.weir.engine.stream;

import java.util.List;

/**
 * What one task has done so far in a run.
 *
 * @param batches  calls finished successfully
 * @param rowsIn   rows those calls read
 * @param rowsOut  rows those calls returned
 * @param skipped  batch ids dropped at this task because it failed on them ({@code on-error = skip})
 * @param running  calls running now
 * @param queued   calls ready and waiting for a slot
 */
public record TaskStats(String task, boolean terminal, long batches, long rowsIn, long rowsOut, List<Long> skipped,
                        int running, int queued) {

    public TaskStats {
        skipped = List.copyOf(skipped);
    }
}
