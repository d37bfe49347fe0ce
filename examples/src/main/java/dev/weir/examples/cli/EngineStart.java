package dev.weir.examples.cli;

import dev.weir.engine.Weir;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * {@link Weir#start()} on a thread of its own, so that a local run's engine (Arrow's allocator, the actor
 * system) starts on the second core while the command reads the configuration and builds the flow.
 * What {@code Weir.start} throws is thrown again, unwrapped, by {@link #take()}.
 */
final class EngineStart {

    private final CompletableFuture<Weir> weir = new CompletableFuture<>();
    private boolean taken; // by the command's thread only

    private EngineStart() {
    }

    /** Starts the engine on a new thread (which inherits this thread's context class loader). */
    static EngineStart begin() {
        return begin(Weir::start);
    }

    static EngineStart begin(Supplier<Weir> starter) {
        EngineStart start = new EngineStart();
        Thread thread = new Thread(() -> {
            try {
                start.weir.complete(starter.get());
            } catch (Throwable t) {
                start.weir.completeExceptionally(t);
            }
        }, "weir-engine-start");
        thread.setDaemon(true);
        thread.start();
        return start;
    }

    /** The started engine, once {@code Weir.start} returned (it bounds its own start); the caller closes it. */
    Weir take() {
        taken = true;
        try {
            return weir.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    /**
     * Unless {@link #take() taken}, the engine is closed as soon as it has started (the command ended
     * before it ran anything); the stage completes once it is closed.
     */
    CompletionStage<Void> discard() {
        return taken ? CompletableFuture.completedFuture(null) : weir.thenAccept(Weir::close);
    }
}
