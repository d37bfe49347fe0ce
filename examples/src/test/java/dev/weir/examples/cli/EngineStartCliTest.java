package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Weir;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** `weir run` starts a local engine on a second thread: it hands it over, rethrows its failure, or closes it. */
class EngineStartCliTest {

    @Test
    void theStartedEngineIsHandedOverAndStaysOpenAfterDiscard() throws Exception {
        EngineStart start = EngineStart.begin();
        try (Weir weir = start.take()) {
            start.discard().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertFalse(weir.system().whenTerminated().isCompleted(), "discard closed the engine the run took");
        }
    }

    @Test
    void anEngineTheCommandNeverTookIsClosedOnDiscard() throws Exception {
        CompletableFuture<Weir> started = new CompletableFuture<>();
        EngineStart start = EngineStart.begin(() -> {
            Weir weir = Weir.start();
            started.complete(weir);
            return weir;
        });
        start.discard().toCompletableFuture().get(30, TimeUnit.SECONDS);
        Weir weir = started.get(30, TimeUnit.SECONDS);
        weir.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(weir.system().whenTerminated().isCompleted());
    }

    @Test
    void whatTheStartThrowsIsThrownUnwrapped() {
        IllegalStateException failure = new IllegalStateException("Arrow needs --add-opens");
        EngineStart start = EngineStart.begin(() -> {
            throw failure;
        });
        assertSame(failure, assertThrows(IllegalStateException.class, start::take));
    }
}
