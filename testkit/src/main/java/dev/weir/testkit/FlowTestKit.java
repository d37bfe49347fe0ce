package dev.weir.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Weir;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.config.InstanceConfig.InlineMode;
import dev.weir.engine.config.InstanceConfig.Orchestration;
import dev.weir.engine.config.InstanceConfig.RetryPolicy;
import dev.weir.engine.store.StoreSettings;
import dev.weir.testpostgres.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.arrow.memory.RootAllocator;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;

/**
 * Runs flows in tests: on a temporary embedded DuckDB, under the Pekko {@link ActorTestKit}, with an
 * allocator that fails {@link #close()} when a run leaked Arrow memory. Each run's events go to a
 * {@link TestProbe}, so a test can assert which tasks ran and which hit the cache:
 *
 * <pre>{@code
 * @TempDir Path dir;
 * try (FlowTestKit kit = FlowTestKit.create(dir)) {
 *     FlowRunRecord first = kit.run(flow, kit.instance("mini"));
 *     assertEquals(Set.of(new TaskId("raw", "load"), new TaskId("clean", "clean")), first.ranIds());
 *     FlowRunRecord second = kit.run(flow, kit.instance("mini"));
 *     assertEquals(first.ranIds(), second.cacheHitIds());   // ran() and cacheHits(): bare names
 * }
 * }</pre>
 *
 * Not thread-safe: one test thread drives it.
 */
public final class FlowTestKit implements AutoCloseable {

    private final ActorTestKit testKit;
    private final boolean ownsTestKit;
    private final Path dir;
    private final RootAllocator allocator = new RootAllocator();
    private final Weir weir;
    private final List<Result> results = new ArrayList<>();
    private Duration timeout = Duration.ofMinutes(2);

    private FlowTestKit(ActorTestKit testKit, boolean ownsTestKit, Path dir) {
        this.testKit = testKit;
        this.ownsTestKit = ownsTestKit;
        this.dir = Objects.requireNonNull(dir, "dir is null");
        this.weir = Weir.embedded(testKit.system(), allocator);
    }

    /** A kit with its own actor test kit, keeping its databases under {@code dir}. */
    public static FlowTestKit create(Path dir) {
        return new FlowTestKit(ActorTestKit.create(), true, dir);
    }

    /** A kit on the test's own actor test kit (which the test shuts down). */
    public static FlowTestKit create(ActorTestKit testKit, Path dir) {
        return new FlowTestKit(testKit, false, dir);
    }

    /** How long {@link #run} waits for a run before failing the test. Default: two minutes. */
    public FlowTestKit timeout(Duration runTimeout) {
        this.timeout = Objects.requireNonNull(runTimeout, "timeout is null");
        return this;
    }

    /**
     * An instance in the kit's DuckDB file ({@code weir.duckdb} in the kit's directory), isolated from
     * the kit's other instances by the schema prefix {@code <name>_}, with no attributes. Sharing one
     * file lets a task read another instance's committed tables in the same JVM.
     */
    public InstanceConfig instance(String name) {
        return instance(name, ConfigFactory.empty());
    }

    /** An instance in the kit's DuckDB file, with the given attributes. */
    public InstanceConfig instance(String name, Config attrs) {
        StoreSettings duckdb = new StoreSettings(name, name, "duckdb", "duckdb",
                ConfigFactory.parseMap(Map.of("path", dir.resolve("weir.duckdb").toString(), "schema_prefix", name + "_")),
                dir.resolve(name),
                "FlowTestKit instance '" + name + "'");
        return new InstanceConfig("test", name, name, duckdb, Map.of("duckdb", duckdb),
                dir.resolve("blobs").resolve(name), dir.resolve(name), CacheValidation.NORMAL,
                new Orchestration(Orchestration.Engine.PARALLEL, 4), false, InlineMode.DEFAULT_FALSE,
                Duration.ofSeconds(30), new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(100)), attrs,
                false, "FlowTestKit instance '" + name + "'");
    }

    /**
     * An instance on the tests' PostgreSQL server ({@link TestPostgres}: the server of the libpq variables
     * {@code PGHOST}, {@code PGPORT}, {@code PGUSER}, {@code PGPASSWORD}, {@code PGDATABASE}, else an embedded one),
     * isolated by the schema prefix {@code <name>_<random>_}, so repeated test runs never see each other's stages.
     * Without a server the calling test is skipped, or failed under {@code CI=true}.
     */
    public InstanceConfig postgresInstance(String name) {
        TestPostgres.Server server = TestPostgres.require();
        String prefix = name + "_" + java.util.UUID.randomUUID().toString().substring(0, 8) + "_";
        Map<String, Object> args = new HashMap<>();
        args.put("schema_prefix", prefix);
        args.put("host", server.host());
        args.put("port", server.port());
        args.put("database", server.database());
        args.put("user", server.user());
        if (server.password() != null) {
            args.put("password", server.password());
        }
        StoreSettings postgres = new StoreSettings(name, name, "postgres", "postgres",
                ConfigFactory.parseMap(args), dir.resolve(name),
                "FlowTestKit PostgreSQL instance '" + name + "'");
        return instance(name).withTableStoreSettings(postgres);
    }

    /** Runs the whole flow and waits for its result. */
    public FlowRunRecord run(Flow flow, InstanceConfig instance) {
        return run(flow, instance, RunOptions.defaults());
    }

    /** Runs a flow with options and waits for its result; the options' listener is replaced by a probe. */
    public FlowRunRecord run(Flow flow, InstanceConfig instance, RunOptions options) {
        TestProbe<RunEvent> probe = testKit.createTestProbe(RunEvent.class);
        Result result = weir.run(flow, instance, options.listener(probe.getRef())).toCompletableFuture()
                .orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).join();
        List<RunEvent> events = new ArrayList<>();
        while (true) {
            RunEvent event = probe.receiveMessage(timeout);
            events.add(event);
            if (event instanceof RunEvent.RunFinished) {
                break;
            }
        }
        results.add(result);
        return new FlowRunRecord(result, events);
    }

    /** The engine, for tests that drive it themselves. */
    public Weir weir() {
        return weir;
    }

    /** The allocator every run allocates from; checked for leaks on {@link #close()}. */
    public RootAllocator allocator() {
        return allocator;
    }

    public ActorTestKit testKit() {
        return testKit;
    }

    /**
     * Closes the results of its runs (freeing the inlined tables they kept), the engine's stores, shuts down the actor test kit if the kit made it, and closes the
     * allocator, which throws {@link IllegalStateException} when Arrow memory was leaked.
     */
    @Override
    public void close() {
        try {
            results.forEach(Result::close);
            weir.close();
        } finally {
            if (ownsTestKit) {
                testKit.shutdownTestKit();
            }
            allocator.close();
        }
    }
}
