package dev.weir.engine.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.engine.cache.CacheKeys;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a task produced, as kept in its cache entry ({@code TaskRecord.outputJson}) and handed to its
 * consumers: each declared output (a table, a blob or a value), plus tables it materialized on the
 * way (imperative materialization), which are carried forward with it on a cache hit.
 *
 * @param version     the task's code version when it ran
 * @param cacheFnHash the hash of its cache function's value when it ran ("" without one)
 * @param fullKey     the key its consumers' keys are built from
 * @param outputs     the outputs, in declaration order
 * @param extraTables tables materialized besides the outputs (kind TABLE) and directories the task
 *                    wrote ({@code TaskContext.directory}, kind BLOB)
 */
public record OutputSet(String version, String cacheFnHash, String fullKey, List<Output> outputs,
                        List<Output> extraTables) {

    public OutputSet {
        Objects.requireNonNull(cacheFnHash, "cacheFnHash is null");
        Objects.requireNonNull(fullKey, "fullKey is null");
        outputs = List.copyOf(outputs);
        extraTables = List.copyOf(extraTables);
    }

    public Optional<Output> output(String name) {
        return outputs.stream().filter(o -> o.name().equals(name)).findFirst();
    }

    /** Every table of the task: outputs and extra tables. */
    public List<Output> tables() {
        List<Output> tables = new java.util.ArrayList<>();
        outputs.stream().filter(o -> o.kind() == Kind.TABLE).forEach(tables::add);
        extraTables.stream().filter(o -> o.kind() == Kind.TABLE).forEach(tables::add);
        return tables;
    }

    /** The blobs of the task: blob outputs, and the directories it wrote (kept with the extra tables). */
    public List<Output> blobs() {
        List<Output> blobs = new java.util.ArrayList<>();
        outputs.stream().filter(o -> o.kind() == Kind.BLOB).forEach(blobs::add);
        extraTables.stream().filter(o -> o.kind() == Kind.BLOB).forEach(blobs::add);
        return blobs;
    }

    public long rows() {
        return outputs.stream().mapToLong(o -> Math.max(o.rows(), 0)).sum();
    }

    public String toJson() {
        try {
            return CacheKeys.JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write task outputs as JSON", e);
        }
    }

    public static OutputSet fromJson(String json) {
        try {
            return CacheKeys.JSON.readValue(json, OutputSet.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable cache entry (written by another Weir version?): "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * What an output became: a table in the store, a blob file, a JSON value, or a table handed to its
     * consumers in memory and never written to the store (an inlined table).
     */
    public enum Kind { TABLE, BLOB, VALUE, INLINE }

    /**
     * One output.
     *
     * @param name  the declared output name
     * @param kind  table, blob or value
     * @param table the table name in the stage schema (tables)
     * @param value the JSON value (values)
     * @param rows  rows written, -1 when unknown or not a table
     * @param primaryKey the table's primary key columns (tables)
     * @param indexes    the table's indexes (tables)
     */
    public record Output(String name, Kind kind, String table, JsonNode value, long rows, List<String> primaryKey,
                         List<List<String>> indexes) {
        public Output {
            Objects.requireNonNull(name, "name is null");
            Objects.requireNonNull(kind, "kind is null");
            primaryKey = primaryKey == null ? List.of() : List.copyOf(primaryKey);
            indexes = indexes == null ? List.of() : indexes.stream().map(List::copyOf).toList();
        }

        static Output table(String name, String table, long rows, dev.weir.engine.store.TableSpec spec) {
            return new Output(name, Kind.TABLE, table, null, rows, spec.primaryKey(), spec.indexes());
        }

        static Output inline(String name, String table, long rows) {
            return new Output(name, Kind.INLINE, table, null, rows, null, null);
        }

        static Output blob(String name, String file) {
            return new Output(name, Kind.BLOB, file, null, -1, null, null);
        }

        static Output value(String name, JsonNode value) {
            return new Output(name, Kind.VALUE, null, value, -1, null, null);
        }

        dev.weir.engine.store.TableSpec spec() {
            return new dev.weir.engine.store.TableSpec(primaryKey, indexes);
        }
    }
}
