package dev.weir.engine;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.LocalReference;
import dev.weir.engine.runtime.Engine;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The engine: runs flows on instances and gives back {@link Result}s.
 *
 * <pre>{@code
 * try (Weir weir = Weir.start()) {
 *     Result r = weir.run(flow, config.instance("mini")).toCompletableFuture().join();
 * }
 * }</pre>
 *
 * A service that owns an actor system embeds the engine with {@link #embedded(ActorSystem)}; runs are
 * then actors of that system and closing the engine leaves the system running. Thread-safe.
 */
public final class Weir implements AutoCloseable {

    private final ActorSystem<?> system;
    private final boolean ownsSystem;
    private final BufferAllocator allocator;
    private final boolean ownsAllocator;
    private final Engine engine;

    private Weir(ActorSystem<?> system, boolean ownsSystem, BufferAllocator allocator, boolean ownsAllocator) {
        this.system = system;
        this.ownsSystem = ownsSystem;
        this.allocator = allocator;
        this.ownsAllocator = ownsAllocator;
        try {
            ArrowAccess.check(allocator);
        } catch (WeirException e) {
            if (ownsAllocator) {
                allocator.close();
            }
            if (ownsSystem) {
                system.terminate();
            }
            throw e;
        }
        this.engine = new Engine(system, allocator, Weir.class.getClassLoader());
    }

    /**
     * An engine with its own actor system and allocator, closed with it. Arrow needs the JVM option
     * {@code --add-opens=java.base/java.nio=ALL-UNNAMED}; without it this throws a {@link WeirException} naming it.
     */
    public static Weir start() {
        BufferAllocator allocator = ArrowAccess.create(RootAllocator::new);
        ClassLoader loader = LocalReference.loader(contextClassLoader());
        ActorSystem<Void> system;
        try {
            system = ActorSystem.create(Behaviors.empty(), "weir",
                    BootstrapSetup.create(localConfig(ConfigFactory.load(loader))).withClassloader(loader));
        } catch (RuntimeException | Error e) {
            allocator.close();
            throw e;
        }
        return new Weir(system, true, allocator, true);
    }

    /** The class loader Pekko and Typesafe Config would pick: the thread's context class loader, else Weir's. */
    private static ClassLoader contextClassLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : Weir.class.getClassLoader();
    }

    /** Pekko extensions a library asks to load at start, which the engine's own local system loads on first use. */
    static final List<String> LOADED_ON_FIRST_USE = List.of(
            "org.apache.pekko.serialization.SerializationExtension$", // builds every configured serializer
            "org.apache.pekko.stream.SystemMaterializer$");           // only streaming graphs materialize

    /**
     * The configuration of the engine's own (local) actor system: {@code config} with the extensions of
     * {@link #LOADED_ON_FIRST_USE} taken off {@code pekko.library-extensions}. Creating all serializers
     * (Jackson's among them, when the cluster module is on the class path) is a tenth of a cached run's
     * start, and a local system never serializes a message; either extension is created when first used.
     */
    static Config localConfig(Config config) {
        List<String> extensions = config.getStringList("pekko.library-extensions");
        List<String> atStart = extensions.stream().filter(e -> !LOADED_ON_FIRST_USE.contains(e)).toList();
        return atStart.size() == extensions.size() ? config
                : ConfigFactory.parseMap(Map.of("pekko.library-extensions", atStart), "Weir.start: loaded on first use: "
                        + LOADED_ON_FIRST_USE).withFallback(config);
    }

    /** An engine running on the service's actor system (which must have Weir's reference.conf). */
    public static Weir embedded(ActorSystem<?> system) {
        Objects.requireNonNull(system, "system is null");
        return new Weir(system, false, ArrowAccess.create(RootAllocator::new), true);
    }

    /**
     * An engine on the given system and allocator, neither of which it closes; tests pass an
     * allocator that they check for leaks.
     */
    public static Weir embedded(ActorSystem<?> system, BufferAllocator allocator) {
        return new Weir(Objects.requireNonNull(system, "system is null"), false,
                Objects.requireNonNull(allocator, "allocator is null"), false);
    }

    /** Runs the whole flow on {@code instance}. */
    public CompletionStage<Result> run(Flow flow, InstanceConfig instance) {
        return run(flow, instance, RunOptions.defaults());
    }

    /**
     * Runs a flow with options (a subset of stages or tasks, a listener, a cache validation mode).
     * Cancelling the returned future ({@code toCompletableFuture().cancel(true)}) cancels the run; use
     * {@link #submit} to also learn when the cancelled run has released its lock.
     * The same options may serve several runs, one after another or at once: each gets a fresh run id
     * unless the options name one.
     */
    public CompletionStage<Result> run(Flow flow, InstanceConfig instance, RunOptions options) {
        return engine.run(Objects.requireNonNull(flow, "flow is null"), Objects.requireNonNull(instance, "instance is null"),
                withRunId(options));
    }

    /** {@code options} with a run id: their own, or a fresh one for this run. */
    private static RunOptions withRunId(RunOptions options) {
        return Objects.requireNonNull(options, "options is null").forRun();
    }

    /**
     * Starts a run and returns its handle: its result to come, and {@link RunHandle#cancel} to cancel it
     * (its open stages rolled back, the instance lock released).
     */
    public RunHandle submit(Flow flow, InstanceConfig instance, RunOptions options) {
        return engine.submit(Objects.requireNonNull(flow, "flow is null"),
                Objects.requireNonNull(instance, "instance is null"), withRunId(options));
    }

    /**
     * What {@link #run(Flow, InstanceConfig, RunOptions)} would do, without doing it: each task's decision
     * (run, cache hit, resumed, not selected, or decided when its inputs are ready) and why. Planning
     * calls cache functions and lazy task functions as a run does, reads the committed cache, and writes
     * nothing: no lock, no stage, no metadata, no cleanup of what killed runs left. A stage another flow
     * committed fails the returned future as it would fail the run. The options' listener is not used.
     */
    public CompletionStage<PlanReport> plan(Flow flow, InstanceConfig instance, RunOptions options) {
        return engine.plan(Objects.requireNonNull(flow, "flow is null"),
                Objects.requireNonNull(instance, "instance is null"), withRunId(options));
    }

    public ActorSystem<?> system() {
        return system;
    }

    /** The allocator results read into; close what you read before closing the engine. */
    public BufferAllocator allocator() {
        return allocator;
    }

    /**
     * Closes the stores, and the actor system and allocator if the engine created them.
     *
     * @throws IllegalStateException when Arrow memory the engine allocated is still held: a {@link Result} or
     *                               an {@code ArrowTable}/{@code ArrowReader} read from one was not closed
     */
    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            if (ownsSystem) {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().join();
            }
            if (ownsAllocator) {
                long held = allocator.getAllocatedMemory();
                try {
                    allocator.close();
                } catch (IllegalStateException leaked) {
                    throw new IllegalStateException("Weir.close(): " + held + " bytes of Arrow memory are still held:"
                            + " a Result, or an ArrowTable or ArrowReader read from one (Result.get, Result.read),"
                            + " was not closed; close each (try-with-resources) before the engine. "
                            + leaked.getMessage(), leaked);
                }
            }
        }
    }
}
