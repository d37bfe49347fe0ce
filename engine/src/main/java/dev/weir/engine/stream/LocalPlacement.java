package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The placement of {@link BatchPlacement#local}: task calls run on an executor of this JVM (the
 * engine's blocking dispatcher). Calls submitted together run in order in one task on it, and each
 * call's stage completes as soon as that call has returned, on the executor's thread. A
 * {@link FollowUp} runs on that thread too, and the calls it returns run right after, on the same
 * thread: a batch's output goes on to its next task without waking another thread.
 */
final class LocalPlacement implements BatchPlacement {

    private final Executor executor;

    LocalPlacement(Executor executor) {
        this.executor = executor;
    }

    @Override
    public CompletionStage<ArrowTable> submit(BatchCall call) {
        return submitAll(List.of(call)).get(0);
    }

    @Override
    public List<CompletionStage<ArrowTable>> submitAll(List<BatchCall> calls) {
        List<CompletableFuture<ArrowTable>> results = stages(calls.size());
        try {
            executor.execute(() -> runAll(calls, results));
        } catch (RejectedExecutionException e) {
            reject(calls, results, e);
        }
        return List.copyOf(results);
    }

    @Override
    public void submitAll(List<BatchCall> calls, FollowUp followUp) {
        try {
            executor.execute(() -> runHere(calls, followUp));
        } catch (RejectedExecutionException e) {
            List<CompletableFuture<ArrowTable>> results = stages(calls.size());
            reject(calls, results, e);
            List<BatchCall> next = followUp.next(List.copyOf(results));
            if (!next.isEmpty()) {
                submitAll(next, followUp);
            }
        }
    }

    /** Runs {@code calls}, then whatever the follow-up returns, on this thread, until it returns nothing. */
    @Override
    public void runHere(List<BatchCall> calls, FollowUp followUp) {
        for (List<BatchCall> group = calls; !group.isEmpty(); ) {
            List<CompletableFuture<ArrowTable>> results = stages(group.size());
            runAll(group, results);
            group = followUp.next(List.copyOf(results));
        }
    }

    private static List<CompletableFuture<ArrowTable>> stages(int n) {
        List<CompletableFuture<ArrowTable>> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            results.add(new CompletableFuture<>());
        }
        return results;
    }

    private static void runAll(List<BatchCall> calls, List<CompletableFuture<ArrowTable>> results) {
        for (int i = 0; i < calls.size(); i++) {
            run(calls.get(i), results.get(i));
        }
    }

    private static void reject(List<BatchCall> calls, List<CompletableFuture<ArrowTable>> results,
                               RejectedExecutionException e) {
        for (int i = 0; i < calls.size(); i++) {
            calls.get(i).discard();
            results.get(i).completeExceptionally(e);
        }
    }

    private static void run(BatchCall call, CompletableFuture<ArrowTable> result) {
        try {
            result.complete(call.invoke());
        } catch (Throwable e) {
            // Completing with the error keeps the calls after it running; each is its own batch.
            result.completeExceptionally(e instanceof RuntimeException || e instanceof Error ? e
                    : new CompletionException(e));
        }
    }
}
