package dev.weir.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The Pekko configuration of a node, derived from its {@link NodeSettings}. TLS passwords are not part
 * of it: {@link ClusterNode} hands them to the TLS engine through an actor-system setup.
 */
final class NodePekkoConfig {

    static final String SBR = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider";

    private NodePekkoConfig() {
    }

    static Config of(NodeSettings s) {
        FailureDetection fd = s.failureDetection();
        Map<String, Object> values = Map.ofEntries(
                Map.entry("pekko.actor.provider", "cluster"),
                // Every message between nodes is bound (ClusterMessage -> jackson-cbor in reference.conf);
                // anything else fails to send rather than falling back to Java serialization.
                Map.entry("pekko.actor.allow-java-serialization", "off"),
                Map.entry("pekko.actor.warn-about-java-serializer-usage", "on"),
                Map.entry("pekko.remote.artery.transport", s.transport().configName()),
                Map.entry("pekko.remote.artery.canonical.hostname", s.hostname()),
                Map.entry("pekko.remote.artery.canonical.port", s.port()),
                // The passwords reach the TLS engine through SSLEngineProviderSetup, never through this
                // configuration (which log-config-on-start or a debugger's toString would print).
                Map.entry("pekko.remote.artery.ssl.config-ssl-engine.key-store-password", ""),
                Map.entry("pekko.remote.artery.ssl.config-ssl-engine.key-password", ""),
                Map.entry("pekko.remote.artery.ssl.config-ssl-engine.trust-store-password", ""),
                Map.entry("pekko.cluster.roles", List.of(s.role().roleName())),
                Map.entry("pekko.cluster.seed-nodes", s.seedNodes().stream()
                        .map(seed -> SeedNodes.address(s.systemName(), seed)).toList()),
                Map.entry("pekko.cluster.shutdown-after-unsuccessful-join-seed-nodes", millis(s.joinTimeout())),
                // Pekko ships with no downing: without the Split Brain Resolver a lost node stays
                // unreachable forever. static-quorum on the coordinator role keeps the coordinator's side.
                Map.entry("pekko.cluster.downing-provider-class", SBR),
                Map.entry("pekko.cluster.split-brain-resolver.active-strategy", "static-quorum"),
                Map.entry("pekko.cluster.split-brain-resolver.static-quorum.quorum-size", 1),
                Map.entry("pekko.cluster.split-brain-resolver.static-quorum.role", NodeRole.COORDINATOR.roleName()),
                Map.entry("pekko.cluster.split-brain-resolver.stable-after", millis(fd.stableAfter())),
                Map.entry("pekko.cluster.failure-detector.heartbeat-interval", millis(fd.heartbeatInterval())),
                Map.entry("pekko.cluster.failure-detector.acceptable-heartbeat-pause",
                        millis(fd.acceptableHeartbeatPause())),
                Map.entry("pekko.cluster.gossip-interval", millis(fd.gossipInterval())),
                Map.entry("pekko.cluster.run-coordinated-shutdown-when-down", "on"),
                Map.entry("pekko.coordinated-shutdown.exit-jvm", s.exitJvmWhenDown() ? "on" : "off"),
                Map.entry("pekko.coordinated-shutdown.phases.service-requests-done.timeout",
                        millis(s.drainTimeout())),
                // Several nodes in one JVM (tests, an embedded worker beside a coordinator) must not clash.
                Map.entry("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on"));
        Config config = ConfigFactory.empty();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            config = config.withValue(e.getKey(), ConfigValueFactory.fromAnyRef(e.getValue()));
        }
        return config;
    }

    private static String millis(Duration d) {
        return d.toMillis() + "ms";
    }
}
