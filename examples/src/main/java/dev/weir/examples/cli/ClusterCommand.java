package dev.weir.examples.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.cluster.ClusterObserver;
import dev.weir.cluster.ClusterStatus;
import dev.weir.cluster.WorkerStatus;
import dev.weir.cluster.node.ClusterNode;
import dev.weir.cluster.node.ClusterNodeException;
import dev.weir.cluster.node.NodeSettings;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir cluster}: what a running Weir cluster is doing. Joins it for a moment as a node of role
 * {@code observer} (with the transport and TLS settings of {@code weir node}), lists every member with its
 * roles and status, each worker's slots, free slots and the chunks it holds (run, stage, task, chunk,
 * attempt, phase, age) and the streaming calls it runs (call, attempt, graph, tasks, batch, age), and leaves. Runs nothing and is not counted by the Split Brain Resolver. Bounded
 * by {@code --timeout}: when no seed node answers, it says so and exits 1.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Shows a running cluster's nodes: roles, status, slots and the chunks each worker runs now."
                + " Joins for a moment as an observer (same transport and TLS as weir node), then leaves.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the cluster's status was printed", "1:no seed node answered in time, or the node could"
                + " not start", "2:the command line is wrong"})
final class ClusterCommand implements Callable<Integer> {

    /** How long the workers have to answer once this node is a member. */
    private static final Duration ANSWERS = Duration.ofSeconds(5);
    /** How long leaving may take before the command gives up on a clean leave. */
    private static final Duration LEAVE = Duration.ofSeconds(15);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    NodeOptions node = new NodeOptions();

    @Option(names = "--seed", required = true, paramLabel = "HOST:PORT",
            description = "A node of the cluster, e.g. the coordinator's 127.0.0.1:25520; repeatable.")
    List<String> seeds;

    @Option(names = "--hostname", description = "The address the cluster's nodes reach this one at, for the"
            + " moment it is a member. Default: 127.0.0.1.")
    String hostname;

    @Option(names = "--port", description = "This node's port; 0 picks a free one. Default: 0.")
    Integer port;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "How long to wait for a seed node to let"
            + " this one join, e.g. 15s or 1m. Default: ${DEFAULT-VALUE}.", defaultValue = "15s")
    String timeout;

    @Option(names = "--json", description = "Print the status as JSON, for scripts.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Duration bound = duration(timeout);
        Map<String, Object> own = new LinkedHashMap<>();
        own.put("role", "observer");
        own.put("seed-nodes", seeds);
        own.put("port", port != null ? port : 0);
        own.put("exit-jvm-when-down", false);
        own.put("join-timeout", bound.toMillis() + "ms");
        own.put("drain-timeout", "1s"); // an observer holds no work
        if (hostname != null) {
            own.put("hostname", hostname);
        }
        NodeSettings settings = node.settings(own);
        ClusterNode<Void> observer = ClusterNode.start(settings, Behaviors.<Void>empty());
        ClusterStatus status;
        try {
            status = ClusterObserver.observe(observer.system(), bound, ANSWERS).toCompletableFuture()
                    .get(bound.plus(ANSWERS).plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            err.println("weir cluster: no seed node let this node join within " + seconds(bound) + " (seed nodes "
                    + settings.seedNodes() + ", transport " + settings.transport().configName() + "): is a `weir node`"
                    + " or `weir run --cluster` running there, with the same transport, TLS trust and"
                    + " weir.cluster.system-name (" + settings.systemName() + ")? " + (cause == null ? ""
                    : "(" + cause.getMessage() + ")"));
            stop(observer); // never a member: nothing to leave
            return WeirCommand.RUN_FAILED;
        }
        leave(observer, err);
        out.print(json ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson(status, settings))
                + System.lineSeparator() : text(status, settings));
        out.flush();
        return 0;
    }

    /** Leaves the cluster, bounded: a node that cannot leave in time is stopped and the reason printed. */
    private static void leave(ClusterNode<Void> observer, PrintWriter err) {
        try {
            observer.leave().toCompletableFuture().get(LEAVE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            observer.system().terminate();
        } catch (ExecutionException | TimeoutException | ClusterNodeException e) {
            err.println("weir cluster: this observer node did not leave the cluster within " + seconds(LEAVE)
                    + "; stopped it (the others remove it after their failure detector's pause)");
            observer.system().terminate();
        }
    }

    /** Stops a node that never joined, bounded. */
    private static void stop(ClusterNode<Void> observer) {
        observer.system().terminate();
        try {
            observer.terminated().toCompletableFuture().get(LEAVE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the JVM ends with the command; nothing of the cluster depends on this node
        }
    }

    static Duration duration(String text) {
        try {
            Duration d = Duration.parse("PT" + text.strip().toUpperCase(Locale.ROOT));
            if (d.isNegative() || d.isZero()) {
                throw new WeirCommand.UsageError("--timeout " + text + ": must be more than 0, e.g. 15s");
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new WeirCommand.UsageError("--timeout " + text + ": not a duration; write e.g. 15s, 1m or 1m30s", e);
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format(Locale.ROOT, "%.1f s",
                d.toMillis() / 1000.0);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode toJson(ClusterStatus status, NodeSettings settings) {
        ObjectNode root = JSON.createObjectNode();
        root.put("system", settings.systemName());
        ArrayNode seedList = root.putArray("seed_nodes");
        settings.seedNodes().forEach(seedList::add);
        root.put("observer", status.observer());
        ArrayNode members = root.putArray("members");
        for (ClusterStatus.Member m : status.members()) {
            ObjectNode member = members.addObject();
            member.put("address", m.hostPort());
            ArrayNode roles = member.putArray("roles");
            m.roles().forEach(roles::add);
            member.put("status", m.status());
            member.put("reachable", m.reachable());
            WorkerStatus w = m.worker();
            if (!m.isWorker()) {
                continue;
            }
            member.put("answered", w != null);
            if (w == null) {
                continue;
            }
            member.put("slots", w.slots());
            member.put("free_slots", w.freeSlots());
            member.put("draining", w.draining());
            ArrayNode chunks = member.putArray("chunks");
            for (WorkerStatus.ChunkInFlight c : w.chunks()) {
                ObjectNode chunk = chunks.addObject();
                chunk.put("run", c.runId());
                chunk.put("flow", c.flow());
                chunk.put("stage", c.stage());
                chunk.put("task", c.task());
                chunk.put("chunk", c.chunk());
                chunk.put("attempt", c.attempt());
                chunk.put("phase", c.phase().name().toLowerCase(Locale.ROOT));
                chunk.put("seconds", c.millis() / 1000.0);
            }
            ArrayNode calls = member.putArray("calls");
            for (WorkerStatus.CallInFlight c : w.calls()) {
                ObjectNode call = calls.addObject();
                call.put("call", c.call());
                call.put("attempt", c.attempt());
                call.put("flow", c.flow());
                call.put("graph", c.graph());
                ArrayNode tasks = call.putArray("tasks");
                c.tasks().forEach(tasks::add);
                call.put("batch", c.batchId());
                call.put("seconds", c.millis() / 1000.0);
            }
        }
        return root;
    }

    /** A line per member, and below each worker a line per chunk it holds and per streaming call it runs. */
    static String text(ClusterStatus status, NodeSettings settings) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "Cluster '%s' seen from %s: %d members%n", settings.systemName(),
                String.join(", ", settings.seedNodes()), status.members().size()));
        text.append(String.format(Locale.ROOT, "%-24s %-12s %-12s %5s %5s  %s%n", "NODE", "ROLES", "STATUS",
                "SLOTS", "FREE", "CHUNKS IN FLIGHT"));
        for (ClusterStatus.Member m : status.members()) {
            WorkerStatus w = m.worker();
            String state = m.reachable() ? m.status() : "Unreachable";
            String slots = w == null ? "-" : Integer.toString(w.slots());
            String free = w == null ? "-" : Integer.toString(w.freeSlots());
            String chunks = !m.isWorker() ? "-" : w == null ? "no answer" : w.chunks().size()
                    + (w.calls().isEmpty() ? "" : " + " + w.calls().size() + " streaming call"
                            + (w.calls().size() == 1 ? "" : "s"))
                    + (w.draining() ? " (leaving: takes no new " + (w.calls().isEmpty() ? "chunks" : "work") + ")" : "");
            text.append(String.format(Locale.ROOT, "%-24s %-12s %-12s %5s %5s  %s%n", m.hostPort(),
                    String.join(",", m.roles()), state, slots, free, chunks));
            if (w != null) {
                for (WorkerStatus.ChunkInFlight c : w.chunks()) {
                    text.append(String.format(Locale.ROOT, "    run %s  %s/%s chunk %d attempt %d  %s %.1f s%n",
                            c.runId(), c.stage(), c.task(), c.chunk(), c.attempt(),
                            c.phase().name().toLowerCase(Locale.ROOT), c.millis() / 1000.0));
                }
                for (WorkerStatus.CallInFlight c : w.calls()) {
                    text.append(String.format(Locale.ROOT, "    call %s attempt %d  %s/%s %s batch %d  running %.1f s%n",
                            c.call(), c.attempt(), c.flow(), c.graph(), String.join("+", c.tasks()), c.batchId(),
                            c.millis() / 1000.0));
                }
            }
        }
        return text.toString();
    }
}
