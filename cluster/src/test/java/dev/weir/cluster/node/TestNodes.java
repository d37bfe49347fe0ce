package dev.weir.cluster.node;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.Behavior;

/** Settings and starting of cluster nodes on loopback for tests: port 0, TLS with {@link TestCertificates}. */
public final class TestNodes {

    private TestNodes() {
    }

    /** A node on 127.0.0.1, any free port, that does not exit the JVM, with the cluster's certificates. */
    public static NodeSettings settings(NodeRole role, List<String> seeds) {
        TestCertificates certs = TestCertificates.shared();
        String hocon = "weir.cluster { role = " + role.roleName() + ", port = 0, slots = 2, exit-jvm-when-down = off,"
                + " tls { key-store = \"" + certs.nodeKeyStore() + "\", trust-store = \"" + certs.trustStore() + "\" } }";
        return NodeSettings.fromConfig(ConfigFactory.parseString(hocon), "test node", Path.of(""),
                        Map.of("WEIR_CLUSTER_KEY_STORE_PASSWORD", TestCertificates.PASSWORD,
                                "WEIR_CLUSTER_TRUST_STORE_PASSWORD", TestCertificates.PASSWORD))
                .withSeedNodes(seeds);
    }

    /** {@code HOST:PORT} of a running node, for another node's seed list. */
    public static String seedOf(ClusterNode<?> node) {
        return node.address().getHost().get() + ":" + node.address().getPort().get();
    }

    /** Starts a node and waits (bounded) until it is Up. */
    public static <T> ClusterNode<T> startUp(NodeSettings settings, Behavior<T> guardian, Duration bound)
            throws Exception {
        ClusterNode<T> node = ClusterNode.start(settings, guardian);
        try {
            node.whenUp().toCompletableFuture().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            node.system().terminate();
            throw e;
        }
        return node;
    }
}
