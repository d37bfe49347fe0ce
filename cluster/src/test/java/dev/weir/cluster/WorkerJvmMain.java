package dev.weir.cluster;

import com.typesafe.config.ConfigFactory;
import dev.weir.cluster.node.ClusterNode;
import dev.weir.cluster.node.NodeSettings;
import dev.weir.engine.Flow;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.runtime.ChunkWorker;
import dev.weir.engine.store.StoreSettings;
import dev.weir.testkit.FlowTestKit;
import dev.weir.testpostgres.TestPostgres;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A worker node in a JVM of its own, for {@link WorkerJvmLossTest}: the node of the configuration file
 * {@code args[0]}, running {@link ScoringFlow} ({@code args[3]} orders) on the PostgreSQL instance
 * {@code mini} under schema prefix {@code args[1]} (the server of the PG* variables), its files under
 * {@code args[2]}. Prints {@code WEIR-WORKER-UP <address>} once Up. Its chunks score at once when
 * {@code args[4]} is {@code pass}; when it is {@code hold}, each prints {@code WEIR-CHUNK-HELD} and waits
 * (for the test to kill this JVM; at most {@link ChunkGate#BOUND}).
 */
public final class WorkerJvmMain {

    private WorkerJvmMain() {
    }

    public static void main(String[] args) throws Exception {
        NodeSettings settings = NodeSettings.load(Path.of(args[0]));
        String prefix = args[1];
        Path dir = Path.of(args[2]);
        ChunkGate held = ChunkGate.letting(0);
        Flow flow = switch (args[4]) {
            case "pass" -> ScoringFlow.create(Long.parseLong(args[3]));
            case "hold" -> ScoringFlow.create(Long.parseLong(args[3]), () -> {
                System.out.println("WEIR-CHUNK-HELD");
                System.out.flush();
                held.pass();
            });
            default -> throw new IllegalArgumentException("args[4] is pass or hold, not " + args[4]);
        };
        TestPostgres.Server server = TestPostgres.require();
        Map<String, Object> store = new HashMap<>();
        store.put("schema_prefix", prefix);
        store.put("host", server.host());
        store.put("port", server.port());
        store.put("database", server.database());
        store.put("user", server.user());
        if (server.password() != null) {
            store.put("password", server.password());
        }
        try (FlowTestKit kit = FlowTestKit.create(dir);
             RootAllocator allocator = new RootAllocator();
             ChunkWorker chunks = new ChunkWorker(allocator, WorkerJvmMain.class.getClassLoader())) {
            InstanceConfig instance = kit.instance("mini").withTableStoreSettings(new StoreSettings("mini", "mini",
                    "postgres", "postgres", ConfigFactory.parseMap(store), dir.resolve("mini"), "worker JVM"));
            ClusterNode<Void> node = ClusterNode.start(settings, Behaviors.<Void>empty());
            Worker.start(node.system(), new Worker.Settings(chunks, FlowResolver.of(ScoringFlow.class, List.of(flow)),
                    (name, perUser, tableStore) -> instance, settings.slots()));
            node.whenUp().thenRun(() -> System.out.println("WEIR-WORKER-UP " + node.address()));
            node.terminated().toCompletableFuture().join();
        }
    }
}
