package dev.weir.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import dev.weir.cluster.node.Echo.Ping;
import dev.weir.cluster.node.Echo.Pong;
import dev.weir.engine.config.ConfigError;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Nodes talk over Artery tls-tcp with mutual authentication: the cluster's certificate lets a node join
 * and send; a certificate from another CA, or none (plain tcp), does neither. Several actor systems in
 * this JVM on loopback ports, with certificates made at run time.
 */
class TransportSecurityTest {

    private static final Duration UP_BOUND = Duration.ofSeconds(30);
    private static final Duration REFUSED_JOIN_TIMEOUT = Duration.ofSeconds(6);

    private static CapturedLogs logs;
    private static final BlockingQueue<String> RECEIVED = new LinkedBlockingQueue<>();
    private static ClusterNode<Ping> coordinator;

    @BeforeAll
    static void startCoordinator() throws Exception {
        logs = CapturedLogs.attach();
        coordinator = TestNodes.startUp(TestNodes.settings(NodeRole.COORDINATOR, List.of()), Echo.create(RECEIVED),
                UP_BOUND);
    }

    @AfterAll
    static void stopCoordinator() {
        if (coordinator != null) {
            coordinator.close();
        }
        if (logs != null) {
            logs.detach();
        }
    }

    @Test
    void nodesWithTheClusterCertificateFormAClusterAndExchangeMessages() throws Exception {
        BlockingQueue<String> workerReceived = new LinkedBlockingQueue<>();
        try (ClusterNode<Ping> worker = TestNodes.startUp(
                TestNodes.settings(NodeRole.WORKER, List.of(TestNodes.seedOf(coordinator))),
                Echo.create(workerReceived), UP_BOUND)) {
            assertEquals(Set.of("coordinator", "worker"), upRoles(coordinator));

            ActorRef<Ping> echo = findCoordinatorEcho(worker);
            Pong pong = AskPattern.<Ping, Pong>ask(echo, replyTo -> new Ping("hello", replyTo), Duration.ofSeconds(10),
                    worker.system().scheduler()).toCompletableFuture().get(15, TimeUnit.SECONDS);
            assertEquals("hello", pong.text());

            // The same path a foreign process would use: an actor selection by address.
            sendBySelection(worker, "selected by a member");
            assertEquals("selected by a member", poll("selected by a member", Duration.ofSeconds(10)));
        }
    }

    @Test
    void aNodeWithACertificateFromAnotherCaCannotJoinNorSend() throws Exception {
        NodeSettings rogue = TestNodes.settings(NodeRole.WORKER, List.of(TestNodes.seedOf(coordinator)))
                .withTls(TestCertificates.shared().rogueTls())
                .withJoinTimeout(REFUSED_JOIN_TIMEOUT);
        assertRefused(rogue, "from a certificate of another CA");
    }

    @Test
    void aNodeWithoutCertificatesCannotJoinNorSend() throws Exception {
        NodeSettings plain = TestNodes.settings(NodeRole.WORKER, List.of(TestNodes.seedOf(coordinator)))
                .withPlainTcp()
                .withJoinTimeout(REFUSED_JOIN_TIMEOUT);
        assertRefused(plain, "from plain tcp");
    }

    @Test
    void plainTcpWarnsAtStartThatTheClusterIsUnauthenticated() throws Exception {
        NodeSettings plain = TestNodes.settings(NodeRole.COORDINATOR, List.of()).withPlainTcp();
        try (ClusterNode<Ping> node = TestNodes.startUp(plain, Echo.create(new LinkedBlockingQueue<>()), UP_BOUND)) {
            assertTrue(logs.events().stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN
                    && e.getFormattedMessage().contains("unauthenticated")
                    && e.getFormattedMessage().contains("127.0.0.1:" + node.address().getPort().get())),
                    "a WARN naming the node's address and that the cluster is unauthenticated");
        }
    }

    @Test
    void passwordsNeverReachALogLineOrAMessage() throws Exception {
        // A refused handshake logs TLS errors on both sides; a wrong password fails the settings.
        aNodeWithACertificateFromAnotherCaCannotJoinNorSend();
        TlsSettings wrong = TestCertificates.shared().nodeTls();
        String wrongPassword = "Wrong-Pw-4711-" + TestCertificates.PASSWORD;
        ConfigError error = assertThrows(ConfigError.class, () -> NodeSettings.fromConfig(
                com.typesafe.config.ConfigFactory.parseString("weir.cluster.tls { key-store = \"" + wrong.keyStore()
                        + "\", trust-store = \"" + wrong.trustStore() + "\", key-store-password = \"" + wrongPassword
                        + "\", trust-store-password = \"" + wrongPassword + "\" }"), "node.conf", Path.of(""),
                java.util.Map.of()));
        assertTrue(error.getMessage().contains("weir.cluster.tls.key-store-password"), error.getMessage());
        assertFalse(error.getMessage().contains(wrongPassword), error.getMessage());

        assertFalse(coordinator.settings().toString().contains(TestCertificates.PASSWORD));
        assertFalse(coordinator.system().settings().config().root().render().contains(TestCertificates.PASSWORD),
                "the actor system's configuration holds no password");
        for (ILoggingEvent event : logs.events()) {
            assertFalse(event.getFormattedMessage().contains(TestCertificates.PASSWORD), event.getFormattedMessage());
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                assertFalse(String.valueOf(t.getMessage()).contains(TestCertificates.PASSWORD), t.getMessage());
            }
        }
        assertTrue(logs.events().size() > 10, "the test saw the nodes' logs (" + logs.events().size() + " lines)");
    }

    private void assertRefused(NodeSettings settings, String text) throws Exception {
        ClusterNode<Ping> node = ClusterNode.start(settings, Echo.create(new LinkedBlockingQueue<>()));
        try {
            sendBySelection(node, text);
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> node.whenUp().toCompletableFuture().get(REFUSED_JOIN_TIMEOUT.toSeconds() + 20, TimeUnit.SECONDS));
            assertInstanceOf(ClusterNodeException.class, refused.getCause());
            assertEquals(java.util.Optional.of(CoordinatedShutdown.clusterJoinUnsuccessfulReason()),
                    node.shutdownReason());
            assertEquals(Set.of("coordinator"), upRoles(coordinator), "the refused node is no member");
            sendBySelection(node, text);
            assertEquals(null, poll(text, Duration.ofSeconds(2)), "the refused node's message never arrived");
        } finally {
            node.system().terminate();
            node.terminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static void sendBySelection(ClusterNode<?> from, String text) {
        if (from.system().whenTerminated().isCompleted()) {
            return;
        }
        Adapter.toClassic(from.system()).actorSelection(coordinator.address() + "/user")
                .tell(new Ping(text, null), org.apache.pekko.actor.ActorRef.noSender());
    }

    private static String poll(String expected, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        for (long left = bound.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            String next = RECEIVED.poll(left, TimeUnit.NANOSECONDS);
            if (expected.equals(next)) {
                return next;
            }
        }
        return null;
    }

    private static Set<String> upRoles(ClusterNode<?> node) {
        Iterable<Member> members = Cluster.get(Adapter.toClassic(node.system())).state().getMembers();
        return StreamSupport.stream(members.spliterator(), false)
                .filter(m -> m.status() == MemberStatus.up())
                .flatMap(m -> m.getRoles().stream().filter(r -> !r.startsWith("dc-")))
                .collect(java.util.stream.Collectors.toSet());
    }

    private static ActorRef<Ping> findCoordinatorEcho(ClusterNode<?> worker) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            Receptionist.Listing listing = AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
                    worker.system().receptionist(), replyTo -> Receptionist.find(Echo.KEY, replyTo),
                    Duration.ofSeconds(5), worker.system().scheduler()).toCompletableFuture().get(10, TimeUnit.SECONDS);
            for (ActorRef<Ping> ref : listing.getServiceInstances(Echo.KEY)) {
                if (ref.path().address().equals(coordinator.address())) {
                    return ref;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the coordinator's echo never reached the worker's receptionist within 15 s");
    }
}
