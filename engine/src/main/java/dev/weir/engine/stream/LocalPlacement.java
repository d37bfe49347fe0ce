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
 * call's stage completes as soon as that call has returned, on the executor's thread.
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
        List<CompletableFuture<ArrowTable>> results = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            results.add(new CompletableFuture<>());
        }
        try {
            executor.execute(() -> {
                for (int i = 0; i < calls.size(); i++) {
                    run(calls.get(i), results.get(i));
                }
            });
        } catch (RejectedExecutionException e) {
            for (int i = 0; i < calls.size(); i++) {
                calls.get(i).discard();
                results.get(i).completeExceptionally(e);
            }
        }
        return List.copyOf(results);
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
