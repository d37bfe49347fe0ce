package dev.weir.examples.cli;

import dev.weir.engine.NamedFlow;
import dev.weir.engine.StageDef;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.runtime.StoreRegistry;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.engine.store.RunRecord;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code weir status}: what an instance's store holds for a flow: per stage of the flow whether it is
 * committed, by which flow and at which version, and its committed tables with their row counts and sizes;
 * then the instance's last runs (of any flow), newest first. {@code --json} prints the same as JSON. Reads
 * the store only; writes nothing.
 */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Shows what the instance's table store"
        + " holds for a flow: each stage committed or not, the flow that committed it and its version, and its"
        + " tables with their row counts and sizes; then the instance's last runs. Writes nothing.")
final class StatusCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "The flow (see `weir flows`).")
    String flow;

    @CommandLine.Mixin
    ClasspathOption classpath = new ClasspathOption();

    @CommandLine.Mixin
    InstanceOptions target = new InstanceOptions();

    @CommandLine.Option(names = "--runs", paramLabel = "N", description = "How many of the instance's last runs"
            + " to show (default: ${DEFAULT-VALUE}).", defaultValue = "5")
    int runs;

    @CommandLine.Option(names = "--json", description = "Print the status as JSON, for scripts.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (runs < 0) {
            throw new WeirCommand.UsageError("--runs " + runs + ": must be 0 or more");
        }
        FlowCatalog catalog = classpath.catalog();
        NamedFlow example = catalog.require(flow);
        // the configuration and instance exactly as `weir run` reads them
        WeirConfig weirConfig = target.loadConfig();
        weirConfig.warnings().forEach(w -> err.println("warning: " + w));
        InstanceConfig instanceConfig = target.resolve(weirConfig);
        UnaryOperator<String> mask = weirConfig.masking(instanceConfig);
        try (StoreRegistry stores = new StoreRegistry(classpath.loader())) {
            TableStore store = stores.open(instanceConfig.tableStore());
            ObjectNode root = JSON.createObjectNode();
            root.put("flow", flow);
            root.put("instance", target.instance);
            root.put("store", store.kind() + " store '" + instanceConfig.tableStore().connectionName() + "'");
            ArrayNode stageList = root.putArray("stages");
            for (StageDef stage : example.create(weirConfig, instanceConfig).stages()) {
                ObjectNode s = stageList.addObject();
                s.put("stage", stage.name());
                s.put("committed", store.isCommitted(stage.name()));
                if (!store.isCommitted(stage.name())) {
                    continue;
                }
                String schema = store.committedSchema(stage.name());
                s.put("owner", store.stageOwner(stage.name()).orElse(null));
                s.put("committed_at", store.committedAt(stage.name()).map(Object::toString).orElse(null));
                s.put("version", store.stageVersion(stage.name()).orElse(null));
                s.put("schema", schema);
                ArrayNode tables = s.putArray("tables");
                for (String table : store.listTables(schema)) {
                    TableLocation location = new TableLocation(schema, table);
                    ObjectNode t = tables.addObject();
                    t.put("table", table);
                    t.put("rows", store.rowCount(location));
                    OptionalLong bytes = store.tableBytes(location);
                    if (bytes.isPresent()) {
                        t.put("bytes", bytes.getAsLong());
                    } else {
                        t.putNull("bytes");
                    }
                }
            }
            ArrayNode runList = root.putArray("runs");
            for (RunRecord run : store.lastRuns(runs)) {
                ObjectNode r = runList.addObject();
                r.put("run_id", run.runId());
                r.put("flow", run.flow());
                r.put("started_at", run.startedAt().toString());
                r.put("outcome", run.outcome().label());
                r.put("ran", run.ran());
                r.put("cache_hits", run.cacheHits());
                r.put("failed", run.failed());
                r.put("skipped", run.skipped());
                r.put("seconds", run.duration().toMillis() / 1000.0);
            }
            out.print(mask.apply(json ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root)
                    + System.lineSeparator() : text(root)));
            out.flush();
            return 0;
        } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
            err.println(RunErrors.describe(e, mask));
            return WeirCommand.RUN_FAILED;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The status as text: a header, a line per stage and per table, then the last runs. */
    private static String text(ObjectNode root) {
        StringBuilder text = new StringBuilder();
        text.append("Status of flow '").append(root.get("flow").asText()).append("' on instance '")
                .append(root.get("instance").asText()).append("' (").append(root.get("store").asText()).append(")\n");
        for (var s : root.get("stages")) {
            text.append("stage ").append(s.get("stage").asText());
            if (!s.get("committed").asBoolean()) {
                text.append(": not committed\n");
                continue;
            }
            text.append(": committed")
                    .append(s.get("owner").isNull() ? "" : " by flow '" + s.get("owner").asText() + "'")
                    .append(s.get("committed_at").isNull() ? "" : " at " + s.get("committed_at").asText())
                    .append(s.get("version").isNull() ? "" : ", version " + s.get("version").asText())
                    .append(", schema ").append(s.get("schema").asText()).append('\n');
            for (var t : s.get("tables")) {
                text.append("  ").append(t.get("table").asText()).append(": ").append(t.get("rows").asLong())
                        .append(" rows, ").append(t.get("bytes").isNull() ? "size unknown"
                                : humanBytes(t.get("bytes").asLong())).append('\n');
            }
        }
        var runList = root.get("runs");
        text.append(runList.isEmpty() ? "no runs recorded\n" : "last runs, newest first:\n");
        for (var r : runList) {
            text.append(String.format(Locale.ROOT, "  %s %s %s: %d ran, %d cache hits, %d failed, %d skipped in %.2f s%n",
                    r.get("started_at").asText(), r.get("flow").asText(), r.get("outcome").asText(),
                    r.get("ran").asInt(), r.get("cache_hits").asInt(), r.get("failed").asInt(),
                    r.get("skipped").asInt(), r.get("seconds").asDouble()));
        }
        return text.toString();
    }

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 256.0 MiB}: binary units, one decimal. */
    static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
