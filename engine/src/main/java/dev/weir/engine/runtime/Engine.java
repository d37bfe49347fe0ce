package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.config.InstanceConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;

/**
 * The runtime behind {@link dev.weir.engine.Weir}: spawns one {@link FlowRun} per run under the
 * given actor system and shares the blocking dispatcher, the open stores and the allocator among
 * runs. Thread-safe.
 */
public final class Engine implements AutoCloseable {

    /** The dispatcher JDBC and user code run on; configured in {@code reference.conf}. */
    public static final String BLOCKING_DISPATCHER = "weir.blocking-dispatcher";

    private final ActorSystem<?> system;
    private final RunServices services;

    public Engine(ActorSystem<?> system, BufferAllocator allocator, ClassLoader loader) {
        this.system = system;
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(BLOCKING_DISPATCHER));
        this.services = new RunServices(blocking, new StoreRegistry(loader), allocator);
    }

    public CompletionStage<Result> run(Flow flow, InstanceConfig config, RunOptions options) {
        CompletableFuture<Result> promise = new CompletableFuture<>();
        String name = "run-" + URLEncoder.encode(flow.name() + "-" + config.instanceName() + "-" + options.runId(),
                StandardCharsets.UTF_8);
        system.systemActorOf(FlowRun.create(services, flow, config, options, promise), name, Props.empty());
        return promise;
    }

    public StoreRegistry stores() {
        return services.stores();
    }

    @Override
    public void close() {
        services.stores().close();
    }
}
