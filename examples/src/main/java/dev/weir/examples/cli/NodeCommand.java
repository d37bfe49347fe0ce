package dev.weir.examples.cli;

import dev.weir.cluster.BatchWorker;
import dev.weir.cluster.Worker;
import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.cluster.node.ClusterNode;
import dev.weir.cluster.node.NodeSettings;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.runtime.ChunkWorker;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.RootAllocator;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir node}: a worker node of a Weir cluster. Joins the seed nodes, registers its chunk slots,
 * and runs the chunks coordinators hand it: the flow found by name on its own class path, the store of
 * the instance from its own configuration (its secrets never travel). Runs until stopped; on
 * {@code SIGTERM} or Ctrl-C it takes no new chunks or streaming calls, finishes those under way, and leaves the
 * cluster.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Runs a worker node of a Weir cluster: it runs batched tasks' chunks for `weir run --cluster`.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the node left the cluster", "1:the node could not start", "2:the command line is wrong",
                "255:the cluster downed the node"})
final class NodeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ClasspathOption classpath = new ClasspathOption();

    @CommandLine.Mixin
    NodeOptions node = new NodeOptions();

    @Option(names = "--seed", required = true, paramLabel = "HOST:PORT",
            description = "A node of the cluster to join, e.g. the coordinator's 127.0.0.1:25520; repeatable.")
    List<String> seeds;

    @Option(names = "--hostname", description = "The address other nodes reach this one at. Default: 127.0.0.1.")
    String hostname;

    @Option(names = "--port", description = "This node's port; 0 picks a free one. Default: 0.")
    Integer port;

    @Option(names = "--side-channel-port", description = "The port of this node's Arrow side channel, on which"
            + " tables cross between nodes; 0 picks a free one. Default: weir.cluster.side-channel.port of"
            + " --node-config, else 0.")
    Integer sideChannelPort;

    @Option(names = "--slots", description = "Chunks this node runs at once. Default: its processors.")
    Integer slots;

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "A parameter of the flows, repeatable, as the"
            + " runs it works for were given it (weir run --param): a chunk of a run with other parameters is refused.")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--config", description = "The pipeline configuration with this node's table store connections"
            + " (.yaml, .yml or .conf); default: weir.yaml, weir.yml, weir.conf or pipedag.yaml in the working directory,"
            + " else the examples' configuration.")
    Path config;

    /** The exit status of a node the cluster downed: a supervisor should start it again. */
    static final int DOWNED = 255;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> own = new LinkedHashMap<>();
        own.put("role", "worker");
        own.put("seed-nodes", seeds);
        own.put("port", port != null ? port : 0);
        if (hostname != null) {
            own.put("hostname", hostname);
        }
        if (slots != null) {
            own.put("slots", slots);
        }
        if (sideChannelPort != null) {
            own.put("side-channel.port", sideChannelPort);
        }
        NodeSettings settings = node.settings(own);
        WeirConfig weirConfig = loadConfig();
        FlowCatalog catalog = classpath.catalog();
        try (RootAllocator allocator = new RootAllocator();
             ChunkWorker chunks = new ChunkWorker(allocator, classpath.loader());
             ArrowChannel channel = ArrowChannel.start(settings)) {
            com.typesafe.config.Config paramAttrs = WeirCommand.Run.paramAttrs(params);
            Worker.Instances instances = (name, perUser, tableStore) -> {
                dev.weir.engine.config.InstanceConfig instance = weirConfig.instance(name, perUser, tableStore);
                return params.isEmpty() ? instance : instance.withAttrs(paramAttrs.withFallback(instance.attrs()));
            };
            CatalogFlows flows = new CatalogFlows(catalog, weirConfig);
            // The node's actor system ends when it leaves; this command then exits the JVM itself, unless the
            // coordinator left (its run is over): then a new actor system joins the seed nodes again, so that the
            // node also works for the next run, whose coordinator starts a new cluster.
            NodeSettings each = settings.withExitJvmWhenDown(false);
            while (true) {
                ClusterNode<Void> cluster = ClusterNode.start(each, Behaviors.<Void>empty());
                cluster.leaveWhenTheCoordinatorLeaves();
                ActorRef<Worker.Command> worker = Worker.start(cluster.system(), new Worker.Settings(chunks,
                        flows, instances, settings.slots(), channel)); // pulls chunks' rows of inlined inputs
                // streaming calls: their batches come and go over the side channel, their code from the class path
                ActorRef<BatchWorker.Command> batchWorker = BatchWorker.start(cluster.system(),
                        new BatchWorker.Settings(flows, channel, allocator, settings.slots()));
                Duration drain = settings.drainTimeout();
                cluster.beforeLeave("weir-drain-chunks", () -> AskPattern.<Worker.Command, Done>ask(worker,
                        Worker.Drain::new, drain, cluster.system().scheduler()));
                cluster.beforeLeave("weir-drain-calls", () -> AskPattern.<BatchWorker.Command, Done>ask(batchWorker,
                        BatchWorker.Drain::new, drain, cluster.system().scheduler()));
                out.println("weir node " + cluster.address() + ": a worker with " + settings.slots() + " slots, joining "
                        + settings.seedNodes() + "; its flows: " + catalog.listed().keySet() + "; Arrow side channel on port "
                        + channel.port() + (channel.secure() ? " (TLS)" : ""));
                out.flush();
                cluster.terminated().toCompletableFuture().join();
                boolean again = cluster.shutdownReason().filter(ClusterNode.CoordinatorLeft.INSTANCE::equals).isPresent();
                out.println("weir node " + cluster.address() + ": left the cluster"
                        + cluster.shutdownReason().map(reason -> " (" + reason + ")").orElse("")
                        + (again ? "; the coordinator's run is over, joining " + settings.seedNodes() + " again" : ""));
                out.flush();
                if (cluster.shutdownReason().filter(CoordinatedShutdown.clusterDowningReason()::equals).isPresent()) {
                    return DOWNED;
                }
                if (!again) {
                    break;
                }
            }
        }
        return 0;
    }

    private WeirConfig loadConfig() {
        return InstanceOptions.load(config, Path.of("").toAbsolutePath());
    }
}
