package dev.weir.examples.cli;

import dev.weir.engine.RunHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) and SIGTERM during {@code weir run}: the first cancels the run, which rolls back its
 * open stages and releases the instance lock before the command exits with 130 or 143 (128 + the
 * signal's number, as shells report it); a second one exits at once. {@code sun.misc.Signal} is the
 * JDK's only way to tell the two signals apart: a shutdown hook runs for both and cannot wait for the
 * run without racing the JVM's exit.
 */
final class Signals {

    /** A signal {@code weir run} handles, and the exit code it leads to. */
    enum Received {
        SIGINT("INT", 130), SIGTERM("TERM", 143);

        private final String jdkName;
        private final int exitCode;

        Received(String jdkName, int exitCode) {
            this.jdkName = jdkName;
            this.exitCode = exitCode;
        }

        int exitCode() {
            return exitCode;
        }
    }

    private final AtomicReference<Received> received = new AtomicReference<>();
    private final AtomicReference<RunHandle> run = new AtomicReference<>();
    private final java.util.concurrent.atomic.AtomicBoolean cancelled = new java.util.concurrent.atomic.AtomicBoolean();
    private final List<Runnable> restore = new ArrayList<>();
    /** Why the run was cancelled when no signal says it (the parent ended), else null. */
    private final AtomicReference<String> why = new AtomicReference<>();

    private Signals() {
    }

    /**
     * Takes over SIGINT and SIGTERM: the first one cancels the run given to {@link #cancelOnInterrupt}
     * (at once, or as soon as it is given); a second one exits at once.
     */
    static Signals install() {
        Signals signals = new Signals();
        for (Received signal : Received.values()) {
            SignalHandler previous = Signal.handle(new Signal(signal.jdkName), s -> signals.onSignal(signal));
            signals.restore.add(() -> Signal.handle(new Signal(signal.jdkName), previous));
        }
        return signals;
    }

    private void onSignal(Received signal) {
        if (received.compareAndSet(null, signal)) {
            System.err.println("weir: " + signal.name() + " received; cancelling the run (again to exit at once)");
            cancelIfBoth();
        } else {
            Runtime.getRuntime().halt(signal.exitCode);
        }
    }

    /**
     * The system property the {@code weir} scripts set when they start the JVM as their child rather than in
     * their place (the run that records the class-data sharing archive): a signal sent to the script alone (a
     * supervisor's {@code kill <pid>}) ends the script, and without this the run would go on unseen, holding
     * its instance's lock.
     */
    static final String CANCEL_WITH_PARENT = "weir.cancel-with-parent";

    /**
     * When {@link #CANCEL_WITH_PARENT} is set: once the process that started this one has ended, cancels the run
     * as a SIGTERM would. Unlike a second signal, it never exits at once: a process group killed as a whole
     * (Ctrl-C, systemd) signals this JVM too, and the script's end then only confirms that cancel.
     */
    void cancelWhenParentEnds() {
        if (System.getProperty(CANCEL_WITH_PARENT) == null) {
            return;
        }
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
            if (received.compareAndSet(null, Received.SIGTERM)) {
                why.set("the weir script that started this process ended");
                System.err.println("weir: the script that started this process (pid " + parent.pid()
                        + ") has ended; cancelling the run");
                cancelIfBoth();
            }
        }));
    }

    /** Cancels {@code handle} on the first SIGINT or SIGTERM, or now if one came before the run started. */
    void cancelOnInterrupt(RunHandle handle) {
        run.set(handle);
        cancelIfBoth();
    }

    private void cancelIfBoth() {
        Received signal = received.get();
        RunHandle handle = run.get();
        if (signal != null && handle != null && cancelled.compareAndSet(false, true)) {
            handle.cancel(why.get() != null ? why.get() : signal.name() + " received");
        }
    }

    /** The signal that cancelled the run, or null. */
    Received received() {
        return received.get();
    }

    /** Puts the JVM's own handlers back: after the run, a signal ends the process as usual. */
    void restore() {
        restore.forEach(Runnable::run);
        restore.clear();
    }
}
