package dev.weir.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.runtime.ChunkWorker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * A coordinator and worker nodes as actor systems in this JVM, on loopback TCP with ports of their own
 * choosing, Split Brain Resolver on (static quorum on role coordinator, tuned timings), every message
 * serialized ({@code serialize-messages = on}, Java serialization off). Each worker has its own allocator,
 * checked for leaks when the worker closes.
 */
final class TestCluster implements AutoCloseable {

    static Config config(String role) {
        return ConfigFactory.parseString("""
                pekko {
                  loglevel = WARNING
                  actor {
                    provider = cluster
                    serialize-messages = on
                    allow-java-serialization = off
                    # the engine's own messages stay in one JVM; this module's cross between nodes
                    no-serialization-verification-needed-class-prefix = ["org.apache.pekko.", "dev.weir.engine."]
                  }
                  remote.artery.canonical { hostname = "127.0.0.1", port = 0 }
                  cluster {
                    roles = [%s]
                    jmx.multi-mbeans-in-same-jvm = on
                    downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
                    split-brain-resolver {
                      active-strategy = static-quorum
                      static-quorum { quorum-size = 1, role = coordinator }
                      stable-after = 2s
                    }
                    failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 1.5s }
                    gossip-interval = 500ms
                  }
                  coordinated-shutdown.exit-jvm = off
                }
                """.formatted(role)).withFallback(ConfigFactory.load());
    }

    final ActorTestKit coordinator;
    private final List<WorkerNode> workers = new ArrayList<>();

    TestCluster() {
        coordinator = ActorTestKit.create("weir", config("coordinator"));
        Cluster cluster = Cluster.get(coordinator.system());
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        awaitUp(coordinator.system(), 1);
    }

    /** A worker node with {@code slots} slots, joined to the coordinator, running {@code flows}. */
    WorkerNode worker(int slots, FlowResolver flows, InstanceConfig instance) {
        return worker(slots, flows, instance, true);
    }

    /** {@link #worker(int, FlowResolver, InstanceConfig)}, without an Arrow side channel unless {@code sideChannel}. */
    WorkerNode worker(int slots, FlowResolver flows, InstanceConfig instance, boolean sideChannel) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "weir", config("worker"));
        RootAllocator allocator = new RootAllocator();
        ChunkWorker chunks = new ChunkWorker(allocator, getClass().getClassLoader());
        Cluster.get(system).manager().tell(Join.create(Cluster.get(coordinator.system()).selfMember().address()));
        WorkerNode node = new WorkerNode(system, allocator, chunks);
        workers.add(node);
        awaitUp(coordinator.system(), 1 + workers.stream().filter(w -> !w.stopped).count());
        // its side channel pulls the rows of chunks with inlined inputs from the coordinator's
        node.channel = sideChannel
                ? dev.weir.cluster.channel.ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(20)) : null;
        node.worker = Worker.start(system, new Worker.Settings(chunks, flows, (name, perUser, tableStore) -> {
            if (!name.equals(instance.instanceName()) || !tableStore.equals(instance.tableStore().connectionName())) {
                throw new IllegalArgumentException("this worker has no instance '" + name + "' on '" + tableStore + "'");
            }
            return instance;
        }, slots, node.channel));
        return node;
    }

    /** A node joined to the coordinator, with an allocator of its own and nothing running on it: for a test's actors. */
    WorkerNode bareNode() {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "weir", config("worker"));
        Cluster.get(system).manager().tell(Join.create(Cluster.get(coordinator.system()).selfMember().address()));
        WorkerNode node = new WorkerNode(system, new RootAllocator(), null);
        workers.add(node);
        awaitUp(coordinator.system(), 1 + workers.stream().filter(w -> !w.stopped).count());
        return node;
    }

    /**
     * A worker node with {@code slots} slots for streaming calls ({@link BatchWorker}) and its own Arrow
     * side channel, joined to the coordinator, running the graphs of {@code flows}.
     */
    WorkerNode batchWorker(int slots, FlowResolver flows) {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "weir", config("worker"));
        RootAllocator allocator = new RootAllocator();
        Cluster.get(system).manager().tell(Join.create(Cluster.get(coordinator.system()).selfMember().address()));
        WorkerNode node = new WorkerNode(system, allocator, null);
        workers.add(node);
        awaitUp(coordinator.system(), 1 + workers.stream().filter(w -> !w.stopped).count());
        node.channel = dev.weir.cluster.channel.ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(20));
        node.batchWorker = BatchWorker.start(system, new BatchWorker.Settings(flows, node.channel, allocator, slots));
        return node;
    }

    static void awaitUp(ActorSystem<?> system, long members) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            long up = 0;
            for (var member : Cluster.get(system).state().getMembers()) {
                if (member.status() == MemberStatus.up()) {
                    up++;
                }
            }
            if (up >= members) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new AssertionError("the cluster did not reach " + members + " members up within 20 s: "
                + Cluster.get(system).state().getMembers());
    }

    @Override
    public void close() {
        for (WorkerNode worker : workers) {
            worker.stop();
        }
        ActorTestKit.shutdown(coordinator.system(), Duration.ofSeconds(20));
    }

    /** One worker node: its actor system, allocator and chunk runner. */
    static final class WorkerNode {
        final ActorSystem<Void> system;
        final RootAllocator allocator;
        final ChunkWorker chunks;
        org.apache.pekko.actor.typed.ActorRef<Worker.Command> worker;
        org.apache.pekko.actor.typed.ActorRef<BatchWorker.Command> batchWorker;
        dev.weir.cluster.channel.ArrowChannel channel;
        boolean stopped;

        WorkerNode(ActorSystem<Void> system, RootAllocator allocator, ChunkWorker chunks) {
            this.system = system;
            this.allocator = allocator;
            this.chunks = chunks;
        }

        String address() {
            return Cluster.get(system).selfMember().address().toString();
        }

        /** Terminates the node's actor system (it leaves the cluster) and checks its memory. */
        void stop() {
            stop(() -> { });
        }

        /**
         * {@link #stop()}, running {@code whenTerminated} once the actor system has terminated, before the
         * memory is checked: e.g. a test's {@link ChunkGate#abandon()}, so that chunks held there end.
         */
        void stop(Runnable whenTerminated) {
            if (stopped) {
                return;
            }
            stopped = true;
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().orTimeout(20, java.util.concurrent.TimeUnit.SECONDS).join();
            whenTerminated.run();
            if (channel != null) {
                channel.close();
            }
            if (chunks != null) {
                chunks.close();
            }
            // a chunk or call computing when the node stopped frees its memory when its thread ends
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while ((!allocator.getChildAllocators().isEmpty() || allocator.getAllocatedMemory() > 0)
                    && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            allocator.close(); // fails on a leak
        }
    }
}
