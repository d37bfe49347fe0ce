package dev.weir.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.weir.engine.config.ConfigError;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A cluster node's settings, read once from the {@code weir.cluster} block of a HOCON file (the
 * repository's {@code application.conf} documents every key) and validated: a bad value fails with a
 * {@link ConfigError} naming the file, the key, the value (never a password) and what was expected.
 *
 * @param origin          the file (or description) the settings came from, for messages
 * @param role            {@code weir.cluster.role}
 * @param systemName      {@code weir.cluster.system-name}: all nodes of one cluster share it
 * @param hostname        {@code weir.cluster.hostname}: the address other nodes reach this one at
 * @param port            {@code weir.cluster.port}; 0 picks a free port
 * @param seedNodes       {@code weir.cluster.seed-nodes} as {@code HOST:PORT}; empty: this node starts a new
 *                        cluster by joining itself
 * @param slots           {@code weir.cluster.slots}: how many chunks this node runs at once
 * @param transport       {@code weir.cluster.transport}
 * @param tls             {@code weir.cluster.tls}; null when the transport is plain {@code tcp}
 * @param exitJvmWhenDown {@code weir.cluster.exit-jvm-when-down}: a node that is downed or leaves runs its
 *                        coordinated shutdown and then exits its JVM; an embedded worker turns it off
 * @param joinTimeout     {@code weir.cluster.join-timeout}: a node that cannot join its seed nodes within it
 *                        shuts down
 * @param drainTimeout    {@code weir.cluster.drain-timeout}: how long a leaving node waits for the tasks
 *                        added with {@link ClusterNode#beforeLeave}
 * @param failureDetection {@code weir.cluster.failure-detection}
 * @param sideChannel     {@code weir.cluster.side-channel}: the port and transfer timeout of the node's Arrow
 *                        side channel
 * @param pekko           the file's own {@code pekko} block, passed to the actor system below the settings
 *                        derived from {@code weir.cluster}
 */
public record NodeSettings(String origin, NodeRole role, String systemName, String hostname, int port,
                           List<String> seedNodes, int slots, Transport transport, TlsSettings tls,
                           boolean exitJvmWhenDown, Duration joinTimeout, Duration drainTimeout,
                           FailureDetection failureDetection, SideChannelSettings sideChannel, Config pekko) {

    public NodeSettings {
        Objects.requireNonNull(origin, "origin is null");
        Objects.requireNonNull(role, "role is null");
        Objects.requireNonNull(systemName, "systemName is null");
        Objects.requireNonNull(hostname, "hostname is null");
        Objects.requireNonNull(transport, "transport is null");
        Objects.requireNonNull(joinTimeout, "joinTimeout is null");
        Objects.requireNonNull(drainTimeout, "drainTimeout is null");
        Objects.requireNonNull(failureDetection, "failureDetection is null");
        Objects.requireNonNull(sideChannel, "sideChannel is null");
        Objects.requireNonNull(pekko, "pekko is null");
        seedNodes = List.copyOf(seedNodes);
        seedNodes.forEach(seed -> SeedNodes.parse(seed, origin, "seedNodes"));
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be 0 (any free port) or 1 to 65535, not " + port);
        }
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be at least 1, not " + slots);
        }
        if (transport == Transport.TLS_TCP && tls == null) {
            throw new IllegalArgumentException("transport tls-tcp needs TLS settings (weir.cluster.tls)");
        }
    }

    /** Reads {@code file}'s {@code weir.cluster} block over the defaults, with passwords from the environment. */
    public static NodeSettings load(Path file) {
        return NodeSettingsReader.load(file, System.getenv());
    }

    /**
     * Reads the {@code weir.cluster} block of {@code config} over the defaults. TLS keys missing from the
     * block are taken from {@code environment}: {@code WEIR_CLUSTER_KEY_STORE}, {@code WEIR_CLUSTER_TRUST_STORE},
     * {@code WEIR_CLUSTER_KEY_STORE_PASSWORD}, {@code WEIR_CLUSTER_KEY_PASSWORD} (default: the key store's) and
     * {@code WEIR_CLUSTER_TRUST_STORE_PASSWORD}. Relative store paths are resolved against {@code baseDirectory}.
     */
    public static NodeSettings fromConfig(Config config, String origin, Path baseDirectory,
                                          Map<String, String> environment) {
        return NodeSettingsReader.read(config, origin, baseDirectory, environment);
    }

    /** The defaults alone, for a node configured entirely by its caller (e.g. command-line flags). */
    public static NodeSettings defaults(Map<String, String> environment) {
        return fromConfig(ConfigFactory.empty(), "defaults", Path.of(""), environment);
    }

    public NodeSettings withRole(NodeRole newRole) {
        return new NodeSettings(origin, newRole, systemName, hostname, port, seedNodes, slots, transport, tls,
                exitJvmWhenDown, joinTimeout, drainTimeout, failureDetection, sideChannel, pekko);
    }

    public NodeSettings withHostname(String newHostname) {
        return new NodeSettings(origin, role, systemName, newHostname, port, seedNodes, slots, transport, tls,
                exitJvmWhenDown, joinTimeout, drainTimeout, failureDetection, sideChannel, pekko);
    }

    public NodeSettings withPort(int newPort) {
        return new NodeSettings(origin, role, systemName, hostname, newPort, seedNodes, slots, transport, tls,
                exitJvmWhenDown, joinTimeout, drainTimeout, failureDetection, sideChannel, pekko);
    }

    /** Seed nodes as {@code HOST:PORT}; an empty list makes this node start a new cluster. */
    public NodeSettings withSeedNodes(List<String> newSeedNodes) {
        return new NodeSettings(origin, role, systemName, hostname, port, newSeedNodes, slots, transport, tls,
                exitJvmWhenDown, joinTimeout, drainTimeout, failureDetection, sideChannel, pekko);
    }

    public NodeSettings withSlots(int newSlots) {
        return new NodeSettings(origin, role, systemName, hostname, port, seedNodes, newSlots, transport, tls,
                exitJvmWhenDown, joinTimeout, drainTimeout, failureDetection, sideChannel, pekko);
    }

    /** Whether a downed or leaving node exits its JVM: on for {@code weir node}, off for an embedded worker. */
    public NodeSettings withExitJvmWhenDown(boolean exit) {
        return new NodeSettings(origin, role, systemName, hostname, port, seedNodes, slots, transport, tls,
                exit, joinTimeout, drainTimeout, failureDetection, sideChannel, pekko);
    }

    public NodeSettings withJoinTimeout(Duration newJoinTimeout) {
        return new NodeSettings(origin, role, systemName, hostname, port, seedNodes, slots, transport, tls,
                exitJvmWhenDown, newJoinTimeout, drainTimeout, failureDetection, sideChannel, pekko);
    }

    public NodeSettings withDrainTimeout(Duration newDrainTimeout) {
        return new NodeSettings(origin, role, systemName, hostname, port, seedNodes, slots, transport, tls,
                exitJvmWhenDown, joinTimeout, newDrainTimeout, failureDetection, sideChannel, pekko);
    }

    public NodeSettings withFailureDetection(FailureDetection newFailureDetection) {
        return new NodeSettings(origin, role, systemName, hostname, port, seedNodes, slots, transport, tls,
                exitJvmWhenDown, joinTimeout, drainTimeout, newFailureDetection, sideChannel, pekko);
    }

    public NodeSettings withSideChannel(SideChannelSettings newSideChannel) {
        return new NodeSettings(origin, role, systemName, hostname, port, seedNodes, slots, transport, tls,
                exitJvmWhenDown, joinTimeout, drainTimeout, failureDetection, newSideChannel, pekko);
    }

    /** Plain TCP (no TLS): for a trusted network only; the node warns at start. */
    public NodeSettings withPlainTcp() {
        return new NodeSettings(origin, role, systemName, hostname, port, seedNodes, slots, Transport.TCP, null,
                exitJvmWhenDown, joinTimeout, drainTimeout, failureDetection, sideChannel, pekko);
    }

    public NodeSettings withTls(TlsSettings newTls) {
        return new NodeSettings(origin, role, systemName, hostname, port, seedNodes, slots, Transport.TLS_TCP,
                Objects.requireNonNull(newTls, "newTls is null"), exitJvmWhenDown, joinTimeout, drainTimeout,
                failureDetection, sideChannel, pekko);
    }

    @Override
    public String toString() {
        return "NodeSettings[origin=" + origin + ", role=" + role.roleName() + ", system=" + systemName + ", address="
                + hostname + ":" + port + ", seedNodes=" + seedNodes + ", slots=" + slots + ", transport="
                + transport.configName() + ", tls=" + tls + ", exitJvmWhenDown=" + exitJvmWhenDown + ", joinTimeout="
                + joinTimeout + ", drainTimeout=" + drainTimeout + ", failureDetection=" + failureDetection + ", sideChannel=" + sideChannel + "]";
    }
}
