package dev.weir.engine.runtime;

import dev.weir.engine.Table;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskFailedException;
import dev.weir.engine.batch.Chunk;
import dev.weir.engine.batch.ChunkPlanning;
import dev.weir.engine.batch.InvocationHook;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * The blocking work of a batched task, for its {@link BatchedTaskRun} and {@link ChunkRun}s: prepare
 * the chunks, compute one chunk (its rows of the inputs only), upload it as a chunk table in the
 * stage's transaction, and finalize the outputs from the chunk tables. A retried chunk replaces its
 * chunk table, so it never duplicates rows. Thread-safe: chunks run in parallel.
 */
final class ChunkExecution {

    private final TaskExecution execution;
    private final TaskPlan plan;
    private final List<InputSpec> inputs;
    private final InvocationHook hook;

    ChunkExecution(TaskExecution execution, TaskPlan plan, List<InputSpec> inputs) {
        this.execution = execution;
        this.plan = plan;
        this.inputs = List.copyOf(inputs);
        this.hook = plan.task().invocation();
    }

    TaskPlan plan() {
        return plan;
    }

    InvocationHook hook() {
        return hook;
    }

    List<Chunk> prepare() throws Exception {
        TableStore store = execution.store();
        List<String> tables = inputs.stream().filter(i -> i.output() != null && i.output().kind() == OutputSet.Kind.TABLE)
                .map(InputSpec::name).toList();
        List<Chunk> chunks = hook.prepare(new ChunkPlanning() {
            @Override
            public List<String> tableInputs() {
                return tables;
            }

            @Override
            public String sqlName(String input) {
                InputSpec in = inputs.stream().filter(i -> i.name().equals(input)).findFirst().orElseThrow(() ->
                        new IllegalArgumentException("the task has no input '" + input + "'"));
                return store.sqlName(in.inTransaction() ? execution.transaction(in.producerStage(), in.output().table())
                        : execution.committed(in.producerStage(), in.output().table()));
            }

            @Override
            public String bucketExpression(List<String> columns, int buckets) {
                return store.bucketExpression(columns, buckets);
            }

            @Override
            public String quote(String identifier) {
                return store.quote(identifier);
            }

            @Override
            public Rows query(String sql) {
                try (ArrowReader reader = store.query(sql, execution.runAllocator())) {
                    return Rows.fromArrow(reader);
                } catch (java.io.IOException e) {
                    throw new StoreException("cannot read the result of " + sql, e);
                }
            }
        });
        if (chunks.isEmpty()) {
            throw new IllegalStateException("the invocation hook " + hook.describe() + " prepared no chunks");
        }
        return List.copyOf(chunks);
    }

    /**
     * Computes one chunk: reads its rows of each input, calls the task, and returns its tables moved to
     * the run's allocator; the caller owns them.
     */
    ChunkResult compute(Chunk chunk, int attempt) throws Exception {
        TaskDef task = plan.task();
        List<InputSpec> restricted = new ArrayList<>();
        for (InputSpec in : inputs) {
            restricted.add(in.output() != null && in.output().kind() == OutputSet.Kind.TABLE
                    ? in.where(hook.restrict(chunk, in.name())) : in);
        }
        String name = "chunk-" + task.name() + "-" + chunk.index() + "-" + attempt;
        Map<String, ArrowTable> data = new LinkedHashMap<>();
        Map<String, Table> shapes = new LinkedHashMap<>();
        try (BufferAllocator allocator = execution.runAllocator().newChildAllocator(name, 0, Long.MAX_VALUE);
             RunTaskContext ctx = new RunTaskContext(execution, task, restricted, allocator, true)) {
            Map<String, Object> returned = ReturnedOutputs.match(task, task.function().call(ctx));
            for (Map.Entry<String, Object> e : returned.entrySet()) {
                if (!(e.getValue() instanceof Table table) || table.payload() instanceof dev.weir.engine.Sql) {
                    throw new TaskExecution.TaskShapeException("a batched task returns in-memory tables for each"
                            + " chunk, but output '" + e.getKey() + "' is " + e.getValue());
                }
                shapes.put(e.getKey(), table);
                data.put(e.getKey(), toArrow(table.payload(), allocator).transferTo(execution.runAllocator()));
            }
            return new ChunkResult(chunk, data, shapes);
        } catch (Exception | Error e) {
            data.values().forEach(ArrowTable::close);
            throw e;
        }
    }

    private static ArrowTable toArrow(Object payload, BufferAllocator allocator) {
        if (payload instanceof ArrowTable arrow) {
            return arrow;
        }
        if (payload instanceof VectorSchemaRoot root) {
            return ArrowTable.of(root);
        }
        if (payload instanceof ArrowReader stream) {
            try (stream) {
                return ArrowTable.readAll(stream, allocator);
            } catch (java.io.IOException e) {
                throw new StoreException("cannot close a chunk's stream", e);
            }
        }
        return ((Rows) payload).toArrow(allocator);
    }

    /** Writes a computed chunk as its chunk tables (replacing an earlier attempt's) and frees its data. */
    long upload(ChunkResult result) {
        long rows = 0;
        try {
            for (Map.Entry<String, ArrowTable> e : result.data().entrySet()) {
                TableLocation target = chunkTable(e.getKey(), result.chunk().index());
                try (ArrowReader reader = e.getValue().reader(execution.runAllocator())) {
                    rows += execution.store().writeArrow(target, reader, TableSpec.NONE);
                } catch (java.io.IOException io) {
                    throw new StoreException("cannot read the Arrow data of chunk " + result.chunk().index(), io);
                }
            }
            return rows;
        } finally {
            result.close();
        }
    }

    /**
     * Builds each output from its chunk tables inside the stage's transaction, drops the chunk tables,
     * and records the task's cache entry.
     */
    OutputSet finish(List<Chunk> chunks, Map<String, Table> shapes) {
        TaskDef task = plan.task();
        TableStore store = execution.store();
        List<OutputSet.Output> outputs = new ArrayList<>();
        for (String output : task.outputs()) {
            Table shape = shapes.get(output);
            String tableName = shape != null && shape.name() != null ? shape.name() : output;
            TableSpec spec = shape == null ? TableSpec.NONE : new TableSpec(shape.primaryKeyColumns(), shape.indexes());
            List<String> chunkTables = chunks.stream().map(c -> store.sqlName(chunkTable(output, c.index()))).toList();
            long rows = store.writeSql(execution.transaction(task.stage(), tableName), hook.finalizeQuery(chunkTables),
                    spec);
            chunks.forEach(c -> store.dropTable(chunkTable(output, c.index())));
            outputs.add(OutputSet.Output.table(output, tableName, rows, spec));
        }
        OutputSet set = new OutputSet(task.version(), plan.cacheFnHash(), plan.fullKey(), outputs, List.of());
        store.recordTask(new TaskRecord(task.stage(), task.name(), plan.positionKey(), set.toJson(),
                execution.runId(), Instant.now()));
        return set;
    }

    private TableLocation chunkTable(String output, int index) {
        return execution.transaction(plan.stage(), plan.name() + "." + output + "__chunk" + index);
    }

    TaskFailedException failure(Chunk chunk, Throwable e) {
        String where = chunk == null ? "" : "chunk " + chunk.index() + " (" + chunk.label() + "): ";
        String problem = e instanceof StoreException || e instanceof TaskExecution.TaskShapeException
                ? e.getMessage() : e.toString();
        return new TaskFailedException(execution.flow().name(), plan.stage(), plan.name(), where + problem, e);
    }

    /** A computed chunk waiting for its upload: owns its Arrow data until uploaded or closed. */
    record ChunkResult(Chunk chunk, Map<String, ArrowTable> data, Map<String, Table> shapes) implements AutoCloseable {
        long rows() {
            return data.values().stream().mapToLong(ArrowTable::rowCount).sum();
        }

        @Override
        public void close() {
            data.values().forEach(ArrowTable::close);
        }
    }
}
