package dev.weir.engine.runtime;

import dev.weir.engine.RunEvent;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands one run's events to a plain {@link Consumer}: the actor only queues each event on a dedicated
 * single thread, so the consumer sees them one at a time, in the order this actor received them, and never
 * runs on (or blocks) an engine thread. It stops after {@link RunEvent.RunFinished}, or when the run's actor
 * stops without one; the thread ends once it has delivered what was queued.
 */
final class RunListenerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(RunListenerAdapter.class);

    private RunListenerAdapter() {
    }

    static Behavior<RunEvent> create(Consumer<RunEvent> consumer, String runId, ActorRef<?> run) {
        return Behaviors.setup(ctx -> {
            ctx.watch(run);
            ExecutorService thread = Executors.newSingleThreadExecutor(task -> {
                Thread t = new Thread(task, "weir-run-listener-" + runId);
                t.setDaemon(true);
                return t;
            });
            boolean[] logged = {false}; // touched only by the listener thread
            return Behaviors.receive(RunEvent.class)
                    .onMessage(RunEvent.class, event -> {
                        thread.execute(() -> {
                            try {
                                consumer.accept(event);
                            } catch (RuntimeException | Error e) {
                                if (e instanceof VirtualMachineError vm) {
                                    throw vm;
                                }
                                if (!logged[0]) {
                                    logged[0] = true;
                                    LOG.warn("The event listener of run {} threw on {}; the run goes on and later "
                                            + "errors of this listener are not logged", runId,
                                            event.getClass().getSimpleName(), e);
                                }
                            }
                        });
                        if (event instanceof RunEvent.RunFinished) {
                            return Behaviors.stopped();
                        }
                        return Behaviors.same();
                    })
                    .onSignal(Terminated.class, signal -> Behaviors.stopped())
                    .onSignal(PostStop.class, signal -> {
                        thread.shutdown(); // delivers what is queued, then the thread ends
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
