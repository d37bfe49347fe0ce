package dev.weir.examples.cli;

import dev.weir.engine.RunEvent;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A run on a terminal: one live bar ({@code me.tongfei:progressbar}) of tasks done out of the total, with the
 * running batched task's chunks (in a cluster run, how many on which node: {@link ChunkNodes}) and rows/s beside
 * it (or the tasks running). What the bar cannot show stays
 * above it as lines: failed tasks with their error, aborted stages, lock waits. The bar is closed at
 * {@link RunEvent.RunFinished}; the command then prints its summary.
 *
 * <p>{@link #show} runs on the run's listener thread; the bar also redraws itself from the library's own
 * thread, so every write to the terminal goes through {@link TerminalLine}, one at a time.
 */
final class ProgressBarView extends RunProgress {

    private final PrintStream out;
    private final UnaryOperator<String> mask;
    private final TerminalLine line;
    private final ProgressBarStyle style;
    private final int updateMillis;
    /** Started tasks not yet finished, by "stage/task", with their chunk progress once a chunk finished. */
    private final Map<String, String> running = new LinkedHashMap<>();
    private final ChunkNodes nodes = new ChunkNodes();
    private ProgressBar bar;

    private ProgressBarView(PrintStream out, UnaryOperator<String> mask, TerminalLine line, ProgressBarStyle style,
                            int updateMillis) {
        this.out = out;
        this.mask = mask;
        this.line = line;
        this.style = style;
        this.updateMillis = updateMillis;
    }

    /** On the terminal: as wide as it is, in colour unless {@code colour} is false ({@code NO_COLOR}). */
    static ProgressBarView onTerminal(PrintStream out, UnaryOperator<String> mask, boolean colour) {
        return new ProgressBarView(out, mask, new TerminalLine(out, -1),
                colour ? ProgressBarStyle.COLORFUL_UNICODE_BLOCK : ProgressBarStyle.UNICODE_BLOCK, 500);
    }

    /** For tests: {@code width} columns, ASCII, redrawn by the events only (the library's thread waits an hour). */
    static ProgressBarView forTest(PrintStream out, UnaryOperator<String> mask, int width) {
        return new ProgressBarView(out, mask, new TerminalLine(out, width), ProgressBarStyle.ASCII,
                3_600_000);
    }

    @Override
    protected void show(RunEvent event) {
        if (event instanceof RunEvent.RunStarted e) {
            bar = new ProgressBarBuilder().setTaskName(e.flow() + "/" + e.instance()).setInitialMax(e.total())
                    .setStyle(style).setUpdateIntervalMillis(updateMillis).continuousUpdate() // refresh() redraws: chunks change, the count may not
                    .setConsumer(line).hideEta().build();
        } else if (event instanceof RunEvent.Waiting e) {
            line.above("Waiting: " + mask.apply(e.message()));
        } else if (event instanceof RunEvent.TaskStarted e) {
            running.put(e.stage() + "/" + e.task(), null);
            nodes.forget(e.stage(), e.task()); // a retried task's chunks run again
        } else if (event instanceof RunEvent.ChunkFinished e) {
            nodes.count(e);
            String where = nodes.of(e.stage(), e.task());
            running.put(e.stage() + "/" + e.task(), String.format(Locale.ROOT, "chunks %d/%d%s, %,.0f rows/s", e.done(),
                    e.total(), where.isEmpty() ? "" : " " + where, e.seconds() > 0 ? e.rows() / e.seconds() : 0.0));
        } else if (event instanceof RunEvent.TaskFinished e) {
            TaskResult r = e.result();
            running.remove(r.stage() + "/" + r.task());
            nodes.forget(r.stage(), r.task());
            if (r.state() == TaskState.FAILED) {
                line.above(String.format(Locale.ROOT, "  %-11s %s/%s%s", r.state(), r.stage(), r.task(),
                        mask.apply(ProgressLines.detail(r))));
            }
            if (bar != null) {
                bar.step();
            }
        } else if (event instanceof RunEvent.StageAborted e) {
            line.above("  aborted stage " + e.stage() + " (" + mask.apply(e.reason()) + "); its last commit stays readable");
        } else if (event instanceof RunEvent.RunFinished) {
            running.clear();
            if (bar != null) {
                bar.setExtraMessage("");
                // The library's close draws the last state and ends the line on its own thread and waits for
                // that, unless this thread is interrupted (a cancelled run): then it returns at once and swallows
                // the interrupt, and the summary could be printed before the line ends. So it closes with the
                // interrupt put aside, then the interrupt is restored for this thread's owner.
                boolean interrupted = Thread.interrupted();
                try {
                    bar.close();
                } finally {
                    line.close(); // ends the line now if the library could not
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
                bar = null;
            }
            return;
        }
        if (bar != null) {
            bar.setExtraMessage(extraMessage());
            bar.refresh();
        }
    }

    /** The running batched task's chunks and rows/s, else which tasks run. */
    private String extraMessage() {
        for (Map.Entry<String, String> task : running.entrySet()) {
            if (task.getValue() != null) {
                return task.getKey() + " " + task.getValue();
            }
        }
        if (running.isEmpty()) {
            return "";
        }
        String first = running.keySet().iterator().next();
        return running.size() == 1 ? first : first + " +" + (running.size() - 1);
    }

    /**
     * The terminal line the bar lives on: the library's renderer hands it each frame; {@link #above} prints a
     * line over the bar, which the next frame redraws. Writes are serialized: frames come from the library's
     * thread and from the listener's.
     */
    static final class TerminalLine extends ConsoleProgressBarConsumer {

        private static final String CLEAR_TO_END = "\u001b[K";
        private final PrintStream terminal;
        private String lastFrame = "";
        /**
         * Set once the bar's line has ended. The library's periodic refresh can still be drawing when the bar
         * closes (cancelling it does not stop a refresh under way), and a frame drawn after the line ended would
         * sit where the run's summary starts: frames after the end are dropped.
         */
        private boolean ended;

        /** @param width columns of the bar, or -1: the terminal's width */
        TerminalLine(PrintStream out, int width) {
            super(out, width);
            this.terminal = out;
        }

        @Override
        public synchronized void accept(String frame) {
            if (ended) {
                return;
            }
            lastFrame = frame;
            super.accept(frame); // "\r" and the frame cut to the width
            terminal.print(CLEAR_TO_END);
            terminal.flush();
        }

        /** Prints {@code text} on its own line(s) where the bar was, then the bar again below it. */
        synchronized void above(String text) {
            terminal.print("\r" + CLEAR_TO_END);
            terminal.println(text);
            if (!lastFrame.isEmpty() && !ended) {
                super.accept(lastFrame);
            }
            terminal.flush();
        }

        @Override
        public synchronized void close() {
            if (!ended) {
                ended = true;
                super.close(); // ends the bar's line
            }
        }
    }
}
