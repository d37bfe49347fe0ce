package dev.weir.cluster.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;

/**
 * A node for {@link NodeProcess}: reads the configuration file named by the first argument, starts a
 * {@link ClusterNode} whose guardian is an {@link Echo} registered with the Receptionist, and prints
 * {@code WEIR-NODE-UP <address>} once Up. On leaving it prints {@code WEIR-NODE-LEAVING <reason>}, waits
 * {@code weir.test.drain-millis} (default 300) as a worker finishing its chunks would, then prints
 * {@code WEIR-NODE-DRAINED}.
 */
public final class TestNodeMain {

    private TestNodeMain() {
    }

    public static void main(String[] args) {
        NodeSettings settings = NodeSettings.load(Path.of(args[0]));
        ClusterNode<Echo.Ping> node = ClusterNode.start(settings, Echo.create(new LinkedBlockingQueue<>()));
        long drainMillis = Long.getLong("weir.test.drain-millis", 300);
        node.beforeLeave("test-drain", () -> {
            System.out.println("WEIR-NODE-LEAVING " + node.shutdownReason().map(Object::toString).orElse("?"));
            return CompletableFuture.supplyAsync(() -> {
                System.out.println("WEIR-NODE-DRAINED");
                return Done.getInstance();
            }, CompletableFuture.delayedExecutor(drainMillis, TimeUnit.MILLISECONDS));
        });
        node.whenUp().thenRun(() -> System.out.println("WEIR-NODE-UP " + node.address()));
        node.terminated().thenRun(() -> System.out.println("WEIR-NODE-TERMINATED "
                + node.shutdownReason().map(Object::toString).orElse("?")));
    }

    /** How long a test node may take to start and join on a loaded machine. */
    static final Duration START_BOUND = Duration.ofSeconds(90);
}
