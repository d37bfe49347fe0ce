package dev.weir.examples.cli;

import dev.weir.engine.RunEvent;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Prints a run's progress as it goes: one line per finished task ({@code [done/total]}, state, where,
 * time, rows), the chunks of batched tasks with rows/s and, in a cluster run, how many ran on which node
 * ({@link ChunkNodes}), lock waits and stage commits. Cache hits of stages that
 * did not run are counted, not listed, so a cached re-run of a big flow prints one line. What {@code weir run}
 * prints when its output is no terminal (a file, a pipe, a CI log).
 */
final class ProgressLines extends RunProgress {

    /** The reason of a task whose work a failed attempt of its stage kept: listed, its stage is committed now. */
    private static final String RESUMED = "resumed";

    private final PrintStream out;
    private final UnaryOperator<String> mask;
    private int total;
    private int done;
    private int quietHits;
    private final ChunkNodes nodes = new ChunkNodes();

    /** @param mask applied to every error and message the run reports (they may quote a driver's text) */
    ProgressLines(PrintStream out, UnaryOperator<String> mask) {
        this.out = out;
        this.mask = mask;
    }

    @Override
    protected void show(RunEvent event) {
        if (event instanceof RunEvent.RunStarted e) {
            out.printf(Locale.ROOT, "Run %s of %s on %s: %d tasks, %d to run, %d cached%s%n", e.runId(),
                    e.flow(), e.instance(), e.total(), e.toRun(), e.cached(), e.toDecide() == 0 ? ""
                            : ", " + e.toDecide() + " decided when their inputs are ready");
            total = e.total();
        } else if (event instanceof RunEvent.Waiting e) {
            out.println("Waiting: " + mask.apply(e.message()));
        } else if (event instanceof RunEvent.TaskStarted e) {
            nodes.forget(e.stage(), e.task()); // a retried task's chunks run again
        } else if (event instanceof RunEvent.TaskFinished e) {
            TaskResult r = e.result();
            done++;
            String where = nodes.of(r.stage(), r.task());
            nodes.forget(r.stage(), r.task());
            if (r.state() == TaskState.CACHE_VALID && r.seconds() == 0 && !RESUMED.equals(r.reason())) {
                quietHits++;
                return;
            }
            out.printf(Locale.ROOT, "  [%d/%d] %-11s %s/%s%s%s%n", done, total, r.state(), r.stage(), r.task(),
                    where.isEmpty() ? "" : "  chunks " + where, mask.apply(detail(r)));
        } else if (event instanceof RunEvent.ChunkFinished e) {
            nodes.count(e);
            String where = nodes.of(e.stage(), e.task());
            out.printf(Locale.ROOT, "      chunk %d/%d of %s/%s  %,d rows, %,.0f rows/s%s%n", e.done(), e.total(),
                    e.stage(), e.task(), e.rows(), e.seconds() > 0 ? e.rows() / e.seconds() : 0.0,
                    where.isEmpty() ? "" : "  " + where);
        } else if (event instanceof RunEvent.StageCommitted e) {
            out.println("  committed stage " + e.stage());
        } else if (event instanceof RunEvent.StageAborted e) {
            out.println("  aborted stage " + e.stage() + " (" + mask.apply(e.reason()) + "); its last commit stays readable");
        } else if (event instanceof RunEvent.RunFinished) {
            if (quietHits > 0) {
                out.println("  " + quietHits + (quietHits == 1 ? " task" : " tasks") + " in unchanged stages: cache valid");
            }
        }
    }

    /** Time, rows, reason and error of a finished task, as its line shows them. */
    static String detail(TaskResult r) {
        StringBuilder s = new StringBuilder();
        if (r.state() == TaskState.COMPLETED || r.state() == TaskState.FAILED) {
            s.append(String.format(Locale.ROOT, "  %.2fs", r.seconds()));
        }
        if (r.rows() >= 0) {
            s.append(", ").append(r.rows()).append(" rows");
        }
        if (r.reason() != null && (r.state() != TaskState.CACHE_VALID || RESUMED.equals(r.reason()))) {
            s.append("  (").append(r.reason()).append(')');
        }
        if (r.error() != null) {
            s.append("\n      ").append(r.error().replace("\n", "\n      "));
        }
        return s.toString();
    }
}
