package dev.weir.engine;

import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * A run in progress: its id, its result to come, and a way to cancel it. Thread-safe.
 *
 * <pre>{@code
 * RunHandle run = weir.submit(flow, config.instance("mini"), RunOptions.defaults());
 * ...
 * Result cancelled = run.cancel("the user pressed Ctrl-C").toCompletableFuture().join();
 * }</pre>
 */
public final class RunHandle {

    private final String runId;
    private final CompletionStage<Result> result;
    private final Consumer<String> canceller;

    public RunHandle(String runId, CompletionStage<Result> result, Consumer<String> canceller) {
        this.runId = Objects.requireNonNull(runId, "runId is null");
        this.result = Objects.requireNonNull(result, "result is null");
        this.canceller = Objects.requireNonNull(canceller, "canceller is null");
    }

    public String runId() {
        return runId;
    }

    /** Completes when the run has ended, its stages committed or rolled back and its lock released. */
    public CompletionStage<Result> result() {
        return result;
    }

    /**
     * Cancels the run: a run waiting for the instance lock stops waiting; a running one interrupts its
     * tasks, rolls back its open stages (the last commit stays what readers see) and releases the lock.
     * Returns at once; the result completes once all that is done, unsuccessful, its failure a
     * {@link RunCancelledException} naming {@code reason}. A run that has ended is left as it is.
     */
    public CompletionStage<Result> cancel(String reason) {
        canceller.accept(Objects.requireNonNull(reason, "reason is null"));
        return result;
    }
}
