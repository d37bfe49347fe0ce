package dev.weir.engine.runtime;

import dev.weir.engine.batch.Chunk;
import dev.weir.engine.batch.InvocationHook;
import dev.weir.engine.batch.RowFilter;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * The cache key of a chunk of a batched task: a hash of the task (flow, stage, name, version, cache
 * function, the instance's attrs; a task without a version or forced to run gets a key of its run
 * alone, so no chunk of it is ever served from the cache), the chunking ({@link InvocationHook#describe()}), the chunk (index, predicate, label), and
 * what the chunk reads of each input:
 * <ul>
 *   <li>a table restricted to the chunk: the predicate, the table's columns and types, and the store's
 *       {@link TableStore#fingerprint} of the chunk's rows, so a chunk whose rows did not change keeps
 *       its key however the rest of the table changed;
 *   <li>a table read whole: its columns and the fingerprint of all its rows, computed once per task;
 *   <li>an inlined table held in memory: its columns and {@link InlineChunks#fingerprint} of the rows
 *       {@link InvocationHook#restrictInMemory} selects for the chunk, computed in Java from the Arrow
 *       data with the same properties as the store's (and never equal to one: a chunk keyed by an
 *       inlined input is a different entry from one keyed by the same table materialized);
 *   <li>a constant or a JSON value: its canonical JSON;
 *   <li>a blob: the task's position key, which holds the producers' full keys, since a blob's content
 *       is not fingerprinted: any upstream change then invalidates every chunk.
 * </ul>
 * The store's kind joins the key: fingerprints of different stores are not comparable. Blocking;
 * thread-safe.
 */
final class ChunkKeys {

    private final TableStore store;
    private final TaskPlan plan;
    private final String scope;
    private final InvocationHook hook;
    private final List<InputSpec> inputs;
    private final Function<InputSpec, TableLocation> location;
    private final BufferAllocator allocator;
    private final Map<String, String> columns = new ConcurrentHashMap<>();
    private final Map<String, String> wholeTables = new ConcurrentHashMap<>();

    /**
     * @param scope what the task's outputs depend on besides its inputs and version: the flow's name and
     *              the instance's attrs, hashed
     */
    ChunkKeys(TableStore store, TaskPlan plan, String scope, List<InputSpec> inputs,
              Function<InputSpec, TableLocation> location, BufferAllocator allocator) {
        this.store = store;
        this.plan = plan;
        this.scope = scope;
        this.hook = plan.task().invocation();
        this.inputs = List.copyOf(inputs);
        this.location = location;
        this.allocator = allocator;
    }

    /**
     * The key of {@code chunk}.
     *
     * @throws UnsupportedOperationException when the store cannot fingerprint rows
     */
    String keyOf(Chunk chunk) {
        List<String> parts = new ArrayList<>(List.of("CHUNK", store.kind(), scope, plan.stage(), plan.name(),
                plan.fresh() ? "RUN " + plan.fullKey() : "VERSION " + plan.task().version(), plan.cacheFnHash(),
                hook.describe(),
                String.valueOf(chunk.index()), String.valueOf(chunk.predicate()), chunk.label()));
        for (InputSpec in : inputs) {
            parts.add(in.name());
            if (in.output() == null) {
                parts.add(CacheKeys.canonicalJson(in.constant()));
            } else if (in.output().kind() == OutputSet.Kind.TABLE) {
                String where = hook.restrict(chunk, in.name());
                parts.add(String.valueOf(where));
                parts.add(columns.computeIfAbsent(in.name(), n -> columnsOf(in)));
                parts.add(where == null ? wholeTables.computeIfAbsent(in.name(), n -> fingerprint(in, null))
                        : fingerprint(in, where));
            } else if (in.output().kind() == OutputSet.Kind.INLINE && in.inline() != null) {
                RowFilter rows = hook.restrictInMemory(chunk, in.name()).orElseThrow(() -> new IllegalStateException(
                        "the invocation hook " + hook.describe() + " cannot select chunk " + chunk.index()
                                + "'s rows of inlined input '" + in.name() + "' in memory"));
                parts.add("INLINE");
                parts.add(String.valueOf(hook.restrict(chunk, in.name())));
                parts.add(in.inline().schema().toJson());
                parts.add(rows == RowFilter.ALL ? wholeTables.computeIfAbsent(in.name(),
                        n -> InlineChunks.fingerprint(in.inline(), rows)) : InlineChunks.fingerprint(in.inline(), rows));
            } else if (in.output().kind() == OutputSet.Kind.VALUE) {
                parts.add(CacheKeys.canonicalJson(in.output().value()));
            } else {
                parts.add(plan.positionKey());
            }
        }
        return CacheKeys.hash(parts.toArray(String[]::new));
    }

    private String fingerprint(InputSpec in, String where) {
        return store.fingerprint(location.apply(in), where);
    }

    /** The table's Arrow schema as JSON: column names, order and types, read without reading rows. */
    private String columnsOf(InputSpec in) {
        TableLocation table = location.apply(in);
        try (ArrowReader reader = store.readArrow(table, allocator, ReadOptions.ALL.where("1 = 0"))) {
            return reader.getVectorSchemaRoot().getSchema().toJson();
        } catch (IOException e) {
            throw new StoreException("cannot read the columns of " + table + " for a chunk cache key", e);
        }
    }
}
