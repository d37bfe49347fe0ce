package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.weir.cluster.node.ClusterNode;
import dev.weir.cluster.node.NodeSettings;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weir node} works for one run after another: when the coordinator leaves at the end of its run,
 * the node leaves the old cluster and joins its seed again, so that the next run's coordinator, a new
 * cluster at the same address, finds it.
 */
class NodeRejoinsTest {

    @Test
    void aNodeJoinsTheNextRunsCoordinatorAfterThePreviousOneLeft(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Process node = CliFixtures.startCli(dir, true, "node", "--seed", "127.0.0.1:" + port, "--hostname",
                "127.0.0.1", "--transport", "tcp", "--slots", "1");
        StringBuffer output = new StringBuffer();
        BlockingQueue<String> lines = CliFixtures.lines(node, output);
        try {
            assertNotNull(CliFixtures.awaitLine(lines, l -> l.contains("a worker with 1 slots"), 120), output::toString);
            for (int run = 1; run <= 2; run++) {
                try (ClusterNode<Void> coordinator = ClusterNode.start(coordinator(port), Behaviors.empty())) {
                    awaitMembersUp(coordinator, 2, output);
                }
                assertNotNull(CliFixtures.awaitLine(lines, l -> l.contains("the coordinator's run is over, joining"), 60),
                        () -> "run " + ((Object) output));
                assertTrue(node.isAlive(), output::toString);
            }
        } finally {
            node.destroyForcibly();
        }
    }

    private static NodeSettings coordinator(int port) {
        return NodeSettings.fromConfig(ConfigFactory.parseString("weir.cluster { role = coordinator, hostname = \"127.0.0.1\","
                + " port = " + port + ", transport = tcp, exit-jvm-when-down = off }"), "NodeRejoinsTest", Path.of(""), Map.of());
    }

    private static void awaitMembersUp(ClusterNode<?> coordinator, int members, StringBuffer output) throws Exception {
        Cluster cluster = Cluster.get(Adapter.toClassic(coordinator.system()));
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            long up = 0;
            for (var member : cluster.state().getMembers()) {
                up += member.status() == MemberStatus.up() ? 1 : 0;
            }
            if (up >= members) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, () -> "the node joined the coordinator at "
                    + coordinator.address() + "; node output:\n" + output);
            Thread.sleep(100);
        }
    }
}
