package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunHandle;
import dev.weir.engine.RunOptions;
import dev.weir.engine.config.InstanceConfig;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.typed.ActorRef;
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
    private final java.util.concurrent.atomic.AtomicLong runs = new java.util.concurrent.atomic.AtomicLong();

    public Engine(ActorSystem<?> system, BufferAllocator allocator, ClassLoader loader) {
        this.system = system;
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(BLOCKING_DISPATCHER));
        this.services = new RunServices(blocking, new StoreRegistry(loader), allocator);
    }

    public CompletionStage<Result> run(Flow flow, InstanceConfig config, RunOptions options) {
        return submit(flow, config, options).result();
    }

    /**
     * Starts a run. Cancelling the handle, or the future of its result ({@code cancel(true)}), cancels the
     * run; the handle's result then completes once its stages are rolled back and its lock released.
     */
    public RunHandle submit(Flow flow, InstanceConfig config, RunOptions options) {
        CompletableFuture<Result> promise = new CompletableFuture<>();
        options = options.forRun();
        // the sequence number keeps actor names unique when a run id is reused, e.g. while the actor of a
        // finished run with that id is still stopping
        String name = "run-" + URLEncoder.encode(flow.name() + "-" + config.instanceName() + "-" + options.runId(),
                StandardCharsets.UTF_8) + "-" + runs.incrementAndGet();
        ActorRef<FlowRun.Command> run = system.systemActorOf(FlowRun.create(services, flow, config, options, promise),
                name, Props.empty());
        promise.whenComplete((result, error) -> {
            if (error instanceof java.util.concurrent.CancellationException) {
                run.tell(new FlowRun.Cancel("its future was cancelled"));
            }
        });
        return new RunHandle(options.runId(), promise, reason -> run.tell(new FlowRun.Cancel(reason)));
    }

    /**
     * What a run would do, writing nothing: the store is opened (and its metadata created if absent, as any
     * run does) and planned on the blocking dispatcher, with no lock ({@link DryRun}).
     */
    public CompletionStage<dev.weir.engine.PlanReport> plan(Flow flow, InstanceConfig config, RunOptions options) {
        InstanceConfig effective = options.cacheValidation() == null ? config
                : config.withCacheValidation(options.cacheValidation());
        return CompletableFuture.supplyAsync(() -> DryRun.plan(flow, effective,
                services.stores().open(effective.tableStore()), options), services.blocking());
    }

    public StoreRegistry stores() {
        return services.stores();
    }

    @Override
    public void close() {
        services.stores().close();
    }
}
