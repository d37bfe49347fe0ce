package dev.weir.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.weir.cluster.node.MembershipProbe.Event;
import dev.weir.cluster.node.MembershipProbe.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.regex.Pattern;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator in this JVM and workers in JVMs of their own (TLS, the Split Brain Resolver and the tuned
 * failure detector as shipped, except for the acceptable heartbeat pause: see {@link #ACCEPTABLE_PAUSE}).
 * The bounds are what the tests state; each test prints what it measured.
 */
class NodeLifecycleTest {

    /**
     * The shipped 1.5 s falsely downs nodes while a worker JVM starts on a machine whose load is far above its
     * cores: at load 26-31 on 2 cores, heartbeats came 2.4-4 s apart, and even 3 s downed the starting JVM.
     * So these tests allow 5 s unless {@code -Dweir.test.cluster.acceptable-heartbeat-pause=1.5s} measures the
     * shipped value.
     */
    static final Duration ACCEPTABLE_PAUSE = ConfigFactory.parseString("pause = \""
            + System.getProperty("weir.test.cluster.acceptable-heartbeat-pause", "5s") + "\"").getDuration("pause");

    /**
     * {@code kill -9} to removal: the acceptable pause and a little more of missed heartbeats, the 2 s
     * stable-after, and gossip rounds. With the shipped 1.5 s: 5.3–6.6 s on an idle 2-core machine, 6.1 s
     * here under load; with 5 s (these tests' default) about 3.5 s more. The bound leaves room for a loaded
     * machine.
     */
    static final Duration KILL_DETECTION_BOUND = Duration.ofSeconds(16);
    /** SIGTERM to removal: the leave itself takes about 2 s, plus the test node's 300 ms drain. */
    static final Duration GRACEFUL_LEAVE_BOUND = Duration.ofSeconds(6);
    /** Down to JVM exit: the downed node learns it by gossip and runs its coordinated shutdown. */
    static final Duration DOWNED_EXIT_BOUND = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private static final BlockingQueue<Event> EVENTS = new LinkedBlockingQueue<>();
    private static ClusterNode<MembershipProbe.Command> coordinator;
    private static final List<NodeProcess> WORKERS = new ArrayList<>();
    private static NodeProcess killed;
    private static NodeProcess stopped;
    private static NodeProcess downed;

    @BeforeAll
    static void startCoordinatorAndWorkers() throws Exception {
        FailureDetection shipped = FailureDetection.tuned();
        coordinator = TestNodes.startUp(TestNodes.settings(NodeRole.COORDINATOR, List.of())
                        .withFailureDetection(new FailureDetection(shipped.heartbeatInterval(), ACCEPTABLE_PAUSE,
                                shipped.gossipInterval(), shipped.stableAfter())),
                MembershipProbe.create(EVENTS), Duration.ofSeconds(30));
        // One after another: JVMs starting side by side on a busy 2-core machine starve the running nodes of
        // CPU for longer than the tuned failure detector accepts, and the Split Brain Resolver downs them all.
        killed = startWorker("killed");
        awaitRegistered(killed);
        stopped = startWorker("stopped");
        awaitRegistered(stopped);
        downed = startWorker("downed");
        awaitRegistered(downed);
    }

    @AfterAll
    static void stopAll() throws Exception {
        for (NodeProcess worker : WORKERS) {
            worker.close();
        }
        if (coordinator != null) {
            coordinator.close();
        }
    }

    @Test
    void aKilledWorkerIsRemovedAndItsActorsTerminatedWithinTheBound() throws Exception {
        Address address = address(killed);
        long killedAt = System.nanoTime();
        killed.kill();
        Event removed = await(Kind.REMOVED, address, KILL_DETECTION_BOUND);
        Event terminated = await(Kind.TERMINATED, address, KILL_DETECTION_BOUND);
        Event unreachable = find(Kind.UNREACHABLE, address, killedAt).orElseThrow();
        System.out.printf("kill -9 -> unreachable %d ms, removed %d ms, Terminated %d ms (bound %d s,"
                        + " acceptable-heartbeat-pause %d ms)%n", millis(killedAt, unreachable), millis(killedAt, removed),
                millis(killedAt, terminated), KILL_DETECTION_BOUND.toSeconds(), ACCEPTABLE_PAUSE.toMillis());
        assertTrue(unreachable.nanos() <= removed.nanos());
    }

    @Test
    void aWorkerStoppedWithSigtermFinishesItsWorkAndLeavesGracefully() throws Exception {
        Address address = address(stopped);
        long stoppedAt = System.nanoTime();
        stopped.stop();
        Event removed = await(Kind.REMOVED, address, GRACEFUL_LEAVE_BOUND);
        System.out.printf("SIGTERM -> removed %d ms (bound %d s)%n", millis(stoppedAt, removed),
                GRACEFUL_LEAVE_BOUND.toSeconds());
        stopped.awaitExit(Duration.ofSeconds(20));
        assertTrue(stopped.findLine(Pattern.compile("WEIR-NODE-LEAVING .*JvmExitReason")).isPresent(),
                "the beforeLeave hook ran on SIGTERM");
        assertTrue(stopped.findLine(Pattern.compile("WEIR-NODE-DRAINED")).isPresent(),
                "the node waited for its hook to finish");
        assertFalse(find(Kind.UNREACHABLE, address, stoppedAt).isPresent(), "a graceful leave is never unreachable");
    }

    @Test
    void aWorkerJoiningLaterIsSeenAndRegistered() throws Exception {
        assertTrue(find(Kind.UP, address(killed)).isPresent(), "the cluster had formed before");
        NodeProcess late = startWorker("late");
        awaitRegistered(late);
        Address address = address(late);
        assertTrue(Cluster.get(Adapter.toClassic(coordinator.system())).state().getMembers().toString()
                .contains(address.toString()));
        late.stop();
        // Only cleanup: a leave needs convergence, which waits while a starting JVM makes others unreachable.
        await(Kind.REMOVED, address, Duration.ofSeconds(30));
    }

    @Test
    void aDownedWorkerExitsItsJvmByItself() throws Exception {
        Address address = address(downed);
        long downedAt = System.nanoTime();
        Cluster.get(Adapter.toClassic(coordinator.system())).down(address);
        int exit = downed.awaitExit(DOWNED_EXIT_BOUND);
        System.out.printf("down -> JVM exited (code %d) after %d ms (bound %d s)%n", exit,
                (System.nanoTime() - downedAt) / 1_000_000, DOWNED_EXIT_BOUND.toSeconds());
        assertEquals(255, exit, "Pekko exits a downed node with status -1, so a supervisor sees a failure");
        assertTrue(downed.findLine(Pattern.compile("WEIR-NODE-LEAVING .*ClusterDowningReason")).isPresent(),
                "the downed node ran its coordinated shutdown");
        await(Kind.REMOVED, address, Duration.ofSeconds(10));
    }

    private static NodeProcess startWorker(String name) throws IOException {
        Path config = dir.resolve(name + ".conf");
        TestCertificates certs = TestCertificates.shared();
        Files.writeString(config, "weir.cluster {\n"
                + "  role = worker\n  port = 0\n  slots = 2\n"
                + "  failure-detection.acceptable-heartbeat-pause = " + ACCEPTABLE_PAUSE.toMillis() + " ms\n"
                + "  seed-nodes = [\"" + TestNodes.seedOf(coordinator) + "\"]\n"
                + "  tls { key-store = \"" + certs.nodeKeyStore() + "\", trust-store = \"" + certs.trustStore()
                + "\" }\n}\n");
        NodeProcess worker = NodeProcess.startTestNode(name, config, Map.of(
                "WEIR_CLUSTER_KEY_STORE_PASSWORD", TestCertificates.PASSWORD,
                "WEIR_CLUSTER_TRUST_STORE_PASSWORD", TestCertificates.PASSWORD));
        WORKERS.add(worker);
        return worker;
    }

    private static void awaitRegistered(NodeProcess worker) throws Exception {
        Address address = AddressFromURIString.parse(worker.awaitUp(TestNodeMain.START_BOUND));
        await(Kind.UP, address, Duration.ofSeconds(10));
        await(Kind.REGISTERED, address, Duration.ofSeconds(20));
    }

    private static Address address(NodeProcess worker) throws Exception {
        return AddressFromURIString.parse(worker.awaitUp(Duration.ZERO));
    }

    private static Optional<Event> find(Kind kind, Address address) {
        return find(kind, address, Long.MIN_VALUE);
    }

    /** The first such event at or after {@code since} (System.nanoTime). */
    private static Optional<Event> find(Kind kind, Address address, long since) {
        return EVENTS.stream().filter(e -> e.kind() == kind && e.address().equals(address)
                        && (since == Long.MIN_VALUE || e.nanos() - since >= 0))
                .findFirst();
    }

    private static Event await(Kind kind, Address address, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (true) {
            Optional<Event> event = find(kind, address);
            if (event.isPresent()) {
                return event.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the coordinator did not see " + kind + " of " + address + " within " + bound
                        + "; it saw " + List.copyOf(EVENTS));
            }
            Thread.sleep(20);
        }
    }

    private static long millis(long since, Event event) {
        return (event.nanos() - since) / 1_000_000;
    }
}
