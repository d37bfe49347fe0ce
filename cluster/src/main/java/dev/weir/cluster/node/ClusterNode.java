package dev.weir.cluster.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.BootstrapSetup;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.setup.ActorSystemSetup;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running cluster node: a typed {@link ActorSystem} with the caller's guardian, joined (or joining) the
 * cluster of its seed nodes, with the Split Brain Resolver, the tuned failure detector, Jackson CBOR for
 * {@code dev.weir.cluster.ClusterMessage} and, unless plain TCP was configured, mutually authenticated TLS.
 *
 * <h2>Leaving</h2>
 * A node leaves through Pekko's {@link CoordinatedShutdown}: on {@link #leave()}, on SIGTERM (the JVM
 * shutdown hook), or when the cluster downs it. Before the node leaves the membership, the tasks added
 * with {@link #beforeLeave} run (phase {@code service-requests-done}, bounded by
 * {@code weir.cluster.drain-timeout}): a worker stops taking chunks and completes the task when its
 * chunks in flight are done. When the node was downed rather than asked to leave, the coordinator has
 * already given its chunks to others; {@link #shutdownReason()} tells which.
 *
 * <p>With {@code weir.cluster.exit-jvm-when-down} on (the default, for {@code weir node}), the JVM exits
 * once the shutdown completes; an embedded worker turns it off and watches {@link #terminated()}.
 *
 * @param <T> the guardian's message type
 */
public final class ClusterNode<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterNode.class);

    /** The reason a node leaves when {@link #leave()} or {@link #close()} is called. */
    public enum LeaveRequested implements CoordinatedShutdown.Reason {
        INSTANCE
    }

    /**
     * The reason a worker leaves when the last coordinator of its cluster has left it (see
     * {@link #leaveWhenTheCoordinatorLeaves()}).
     */
    public enum CoordinatorLeft implements CoordinatedShutdown.Reason {
        INSTANCE
    }

    private final NodeSettings settings;
    private final ActorSystem<T> system;
    private final CompletableFuture<Done> up = new CompletableFuture<>();

    private ClusterNode(NodeSettings settings, ActorSystem<T> system) {
        this.settings = settings;
        this.system = system;
    }

    /**
     * Starts the actor system and joins the seed nodes (or, without seed nodes, starts a new cluster). Returns
     * once the node listens on its port; {@link #whenUp()} completes when it is a member that is Up.
     *
     * @throws ClusterNodeException when the node cannot start, e.g. its port is taken; the message names the
     *                              address and the keys to change
     */
    public static <T> ClusterNode<T> start(NodeSettings settings, Behavior<T> guardian) {
        Objects.requireNonNull(settings, "settings is null");
        Objects.requireNonNull(guardian, "guardian is null");
        Config config = NodePekkoConfig.of(settings)
                .withFallback(settings.pekko())
                .withFallback(ConfigFactory.load(ClusterNode.class.getClassLoader()));
        ActorSystemSetup setup = ActorSystemSetup.create(BootstrapSetup.create(config));
        if (settings.tls() != null) {
            setup = setup.withSetup(NodeTls.setup(settings.tls(), config));
        }
        ActorSystem<T> system;
        try {
            system = ActorSystem.create(guardian, settings.systemName(), setup);
        } catch (RuntimeException e) {
            throw new ClusterNodeException("cluster node " + settings.role().roleName() + " cannot start on "
                    + settings.hostname() + ":" + settings.port() + " (" + settings.origin()
                    + ": weir.cluster.hostname, weir.cluster.port): " + e.getMessage(), e);
        }
        ClusterNode<T> node = new ClusterNode<>(settings, system);
        Cluster cluster = Cluster.get(Adapter.toClassic(system));
        cluster.registerOnMemberUp(() -> node.up.complete(Done.getInstance()));
        system.getWhenTerminated().whenComplete((done, failure) ->
                node.up.completeExceptionally(new ClusterNodeException("cluster node " + node.address()
                        + " stopped before it was Up" + node.shutdownReason().map(r -> " (" + r + ")").orElse(""))));
        if (settings.seedNodes().isEmpty()) {
            cluster.join(cluster.selfAddress());
        }
        if (settings.transport() == Transport.TCP) {
            LOG.warn("weir.cluster.transport = tcp ({}): this node talks to the cluster unauthenticated and"
                    + " unencrypted; any process that can reach {}:{} can join the cluster and send it work. Use it"
                    + " on a trusted network only, otherwise configure transport = tls-tcp with weir.cluster.tls.",
                    settings.origin(), cluster.selfAddress().getHost().get(), cluster.selfAddress().getPort().get());
        }

        LOG.info("Cluster node {} started as {} with {} slots; seed nodes {}, transport {}", cluster.selfAddress(),
                settings.role().roleName(), settings.slots(),
                settings.seedNodes().isEmpty() ? "none (starts a new cluster)" : settings.seedNodes(),
                settings.transport().configName());
        return node;
    }

    public ActorSystem<T> system() {
        return system;
    }

    public NodeSettings settings() {
        return settings;
    }

    /** This node's address, {@code pekko://SYSTEM@HOST:PORT} (the real port when 0 was configured). */
    public Address address() {
        return Cluster.get(Adapter.toClassic(system)).selfAddress();
    }

    /** Completes when this node is an Up member; fails if the node stops first. Bound your wait on it. */
    public CompletionStage<Done> whenUp() {
        return up;
    }

    /**
     * Runs {@code task} when this node starts to leave (graceful leave, SIGTERM or downing), before it leaves
     * the membership, in CoordinatedShutdown's phase {@code service-requests-done}. The node waits for the
     * returned stage at most {@code weir.cluster.drain-timeout}, then leaves anyway. The task runs once, on
     * a Pekko dispatcher thread: it must not block.
     *
     * @param name a name for the task, shown in Pekko's log when it times out
     */
    public void beforeLeave(String name, Supplier<CompletionStage<Done>> task) {
        Objects.requireNonNull(task, "task is null");
        CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), name, task);
    }

    /**
     * Leaves the cluster gracefully: runs the {@link #beforeLeave} tasks, leaves the membership, and terminates
     * the actor system (and exits the JVM when {@code exit-jvm-when-down} is on).
     *
     * @return completes when the actor system has terminated
     */
    public CompletionStage<Done> leave() {
        return CoordinatedShutdown.get(system).runAll(LeaveRequested.INSTANCE);
    }

    /**
     * Makes this node leave, with reason {@link CoordinatorLeft}, once a coordinator it has seen as a member
     * is removed and no other coordinator is left. A cluster keeps its members when its coordinator leaves at
     * the end of a run, and the next run's coordinator starts a new cluster at the seed address, which the old
     * members can never join: a worker that wants the next run's work leaves, then joins the seed nodes again
     * with a new actor system ({@code weir node} does).
     */
    public void leaveWhenTheCoordinatorLeaves() {
        system.systemActorOf(CoordinatorWatch.create(() -> CoordinatedShutdown.get(system)
                .runAll(CoordinatorLeft.INSTANCE)), "weir-coordinator-watch", org.apache.pekko.actor.typed.Props.empty());
    }

    /** Completes when the actor system has terminated, for whatever reason. */
    public CompletionStage<Done> terminated() {
        return system.getWhenTerminated();
    }

    /**
     * Why the node is shutting down, once it is: {@link LeaveRequested}, Pekko's
     * {@code ClusterDowningReason} (the cluster downed it), {@code JvmExitReason} (SIGTERM), ...
     */
    public Optional<CoordinatedShutdown.Reason> shutdownReason() {
        return CoordinatedShutdown.get(system).getShutdownReason();
    }

    /** Leaves (see {@link #leave()}) and waits for termination, at most the drain timeout plus 30 s. */
    @Override
    public void close() {
        Duration bound = settings.drainTimeout().plusSeconds(30);
        try {
            leave().toCompletableFuture().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new ClusterNodeException("cluster node " + address() + " failed to leave", e.getCause());
        } catch (TimeoutException e) {
            system.terminate();
            throw new ClusterNodeException("cluster node " + address() + " did not leave within " + bound
                    + " (weir.cluster.drain-timeout + 30 s); its actor system was terminated", e);
        }
    }

    @Override
    public String toString() {
        return "ClusterNode[" + settings.role().roleName() + " " + address() + "]";
    }
}
