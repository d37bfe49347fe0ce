package dev.weir.examples.cli;

import dev.weir.engine.RunEvent;
import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * How {@code weir run} shows a run as it goes, fed by {@link dev.weir.engine.RunOptions#listener(Consumer)}: a
 * live progress bar on a terminal ({@link ProgressBarView}), one line per task otherwise ({@link ProgressLines}).
 * {@link #accept} is called on the run's listener thread, one event at a time; {@link #awaitEnd} lets the
 * command print its summary after the last progress line.
 */
abstract class RunProgress implements Consumer<RunEvent> {

    private final CountDownLatch finished = new CountDownLatch(1);

    /** Shows one event; called on the listener thread only. */
    protected abstract void show(RunEvent event);

    @Override
    public final void accept(RunEvent event) {
        try {
            show(event);
        } finally {
            if (event instanceof RunEvent.RunFinished) {
                finished.countDown();
            }
        }
    }

    /** Waits until {@link RunEvent.RunFinished} was shown, at most {@code timeout}; false when it was not. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * The bar when {@link #useBar} says so for this process, else the lines; both write to {@code out}.
     *
     * @param mask applied to every error and message the run reports (they may quote a driver's text)
     */
    static RunProgress forConsole(PrintStream out, UnaryOperator<String> mask, boolean noProgress) {
        Map<String, String> env = System.getenv();
        if (useBar(isTerminal(System.console()), env, noProgress)) {
            return ProgressBarView.onTerminal(out, mask, env.get("NO_COLOR") == null);
        }
        return new ProgressLines(out, mask);
    }

    /**
     * A bar only on a terminal, and not with {@code --no-progress}, {@code TERM=dumb}, {@code WEIR_NO_PROGRESS}
     * set or {@code CI=true} (a CI log keeps lines).
     */
    static boolean useBar(boolean terminal, Map<String, String> env, boolean noProgress) {
        return terminal && !noProgress && !"dumb".equals(env.get("TERM")) && env.get("WEIR_NO_PROGRESS") == null
                && !"true".equals(env.get("CI"));
    }

    /**
     * Whether standard input and output are a terminal. On Java 17 to 21 {@link System#console()} is null
     * otherwise; from Java 22 it may be a console that is no terminal, which {@code Console.isTerminal()} tells.
     */
    static boolean isTerminal(Console console) {
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // Java 17 to 21: a console is a terminal
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }
}
