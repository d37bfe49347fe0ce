package dev.weir.engine.runtime;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where a stage stands in its run, as {@link FlowRun} keeps it; every change goes through
 * {@link #check}, as for {@link TaskStatus}.
 *
 * <pre>
 * BEGINNING -> OPEN | ENDING            ENDING straight away when the stage could not begin
 * OPEN      -> ENDING
 * ENDING    -> COMMITTED | ABORTED
 * UNTOUCHED, COMMITTED, ABORTED: final  UNTOUCHED: every task a cache hit, the stage is not touched
 * </pre>
 */
enum StageStatus {
    UNTOUCHED, BEGINNING, OPEN, ENDING, COMMITTED, ABORTED;

    private Set<StageStatus> next() {
        return switch (this) {
            case BEGINNING -> EnumSet.of(OPEN, ENDING);
            case OPEN -> EnumSet.of(ENDING);
            case ENDING -> EnumSet.of(COMMITTED, ABORTED);
            case UNTOUCHED, COMMITTED, ABORTED -> EnumSet.noneOf(StageStatus.class);
        };
    }

    boolean isFinal() {
        return next().isEmpty();
    }

    /** As {@link TaskStatus#check}. */
    static StageStatus check(String where, StageStatus from, StageStatus to) {
        if (from != null && !from.next().contains(to)) {
            throw new IllegalTransitionException(where, from, to);
        }
        return to;
    }
}
