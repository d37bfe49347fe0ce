package dev.weir.examples.cli;

import dev.weir.engine.RunEvent;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Prints a run's progress as it goes: one line per finished task ({@code [done/total]}, state, where,
 * time, rows), the chunks of batched tasks with rows/s, lock waits and stage commits. Cache hits of stages that did not run are counted, not
 * listed, so a cached re-run of a big flow prints one line.
 */
final class ProgressPrinter {

    private ProgressPrinter() {
    }

    /** @param mask applied to every error and message the run reports (they may quote a driver's text) */
    static Behavior<RunEvent> create(PrintStream out, UnaryOperator<String> mask) {
        return Behaviors.setup(ctx -> running(out, mask, 0, 0, 0));
    }

    private static Behavior<RunEvent> running(PrintStream out, UnaryOperator<String> mask, int total, int done,
                                              int quietHits) {
        return Behaviors.receive(RunEvent.class)
                .onMessage(RunEvent.RunStarted.class, e -> {
                    out.printf(Locale.ROOT, "Run %s of %s on %s: %d tasks, %d to run, %d cached%s%n", e.runId(),
                            e.flow(), e.instance(), e.total(), e.toRun(), e.cached(), e.toDecide() == 0 ? ""
                                    : ", " + e.toDecide() + " decided when their inputs are ready");
                    return running(out, mask, e.total(), done, quietHits);
                })
                .onMessage(RunEvent.Waiting.class, e -> {
                    out.println("Waiting: " + mask.apply(e.message()));
                    return Behaviors.same();
                })
                .onMessage(RunEvent.TaskStarted.class, e -> Behaviors.same())
                .onMessage(RunEvent.TaskFinished.class, e -> {
                    TaskResult r = e.result();
                    int now = done + 1;
                    if (r.state() == TaskState.CACHE_VALID && r.seconds() == 0) {
                        return running(out, mask, total, now, quietHits + 1);
                    }
                    out.printf(Locale.ROOT, "  [%d/%d] %-11s %s/%s%s%n", now, total, r.state(), r.stage(), r.task(),
                            mask.apply(detail(r)));
                    return running(out, mask, total, now, quietHits);
                })
                .onMessage(RunEvent.ChunkFinished.class, e -> {
                    out.printf(Locale.ROOT, "      chunk %d/%d of %s/%s  %,d rows, %,.0f rows/s%n", e.done(), e.total(),
                            e.stage(), e.task(), e.rows(), e.seconds() > 0 ? e.rows() / e.seconds() : 0.0);
                    return Behaviors.same();
                })
                .onMessage(RunEvent.StageCommitted.class, e -> {
                    out.println("  committed stage " + e.stage());
                    return Behaviors.same();
                })
                .onMessage(RunEvent.StageAborted.class, e -> {
                    out.println("  aborted stage " + e.stage() + " (" + mask.apply(e.reason()) + "); its last commit stays readable");
                    return Behaviors.same();
                })
                .onMessage(RunEvent.RunFinished.class, e -> {
                    if (quietHits > 0) {
                        out.println("  " + quietHits + " tasks in unchanged stages: cache valid");
                    }
                    return Behaviors.stopped();
                })
                .build();
    }

    private static String detail(TaskResult r) {
        StringBuilder s = new StringBuilder();
        if (r.state() == TaskState.COMPLETED || r.state() == TaskState.FAILED) {
            s.append(String.format(Locale.ROOT, "  %.2fs", r.seconds()));
        }
        if (r.rows() >= 0) {
            s.append(", ").append(r.rows()).append(" rows");
        }
        if (r.reason() != null && r.state() != TaskState.CACHE_VALID) {
            s.append("  (").append(r.reason()).append(')');
        }
        if (r.error() != null) {
            s.append("\n      ").append(r.error().replace("\n", "\n      "));
        }
        return s.toString();
    }
}
