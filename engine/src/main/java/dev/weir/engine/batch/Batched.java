package dev.weir.engine.batch;

import dev.weir.engine.data.Row;
import dev.weir.engine.data.Rows;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The built-in invocation hooks: split a task by a stable hash of grouping columns, or by ranges of an
 * ordered key. Immutable; the {@code with…} methods return copies.
 *
 * <pre>{@code
 * stage.task("score").input("orders", orders, ArrowTable.class)
 *     .batched(Batched.hashOf("customer_id", 50).computeParallelism(4).uploadParallelism(8).cacheChunks(true))
 *     .produces(ctx -> Table.of(score(ctx.input("orders", ArrowTable.class))));
 * }</pre>
 */
public final class Batched implements InvocationHook {

    private enum Kind { HASH, RANGE }

    private final Kind kind;
    private final List<String> columns;
    private final int chunks;
    private final int compute;
    private final int upload;
    private final int buffered;
    private final boolean cache;

    private Batched(Kind kind, List<String> columns, int chunks, int compute, int upload, int buffered, boolean cache) {
        this.kind = kind;
        this.columns = List.copyOf(columns);
        if (this.columns.isEmpty()) {
            throw new IllegalArgumentException("a batched task needs at least one column to split by");
        }
        if (chunks < 1) {
            throw new IllegalArgumentException("the number of chunks must be at least 1, was " + chunks);
        }
        if (compute < 1 || upload < 1 || buffered < 1) {
            throw new IllegalArgumentException("parallelism and buffer bounds must be at least 1");
        }
        this.chunks = chunks;
        this.compute = compute;
        this.upload = upload;
        this.buffered = buffered;
        this.cache = cache;
    }

    /** {@code n} chunks by a stable hash of {@code column}: each group of equal values in one chunk. */
    public static Batched hashOf(String column, int n) {
        return hashOf(List.of(Objects.requireNonNull(column, "column is null")), n);
    }

    /** {@code n} chunks by a stable hash of several columns. */
    public static Batched hashOf(List<String> columns, int n) {
        int cpus = Math.max(1, Runtime.getRuntime().availableProcessors());
        return new Batched(Kind.HASH, columns, n, cpus, 4, 8, false);
    }

    /**
     * {@code n} chunks of equal width over the range of an ordered numeric {@code column} (read from the
     * first input when the task starts).
     */
    public static Batched rangeOf(String column, int n) {
        int cpus = Math.max(1, Runtime.getRuntime().availableProcessors());
        return new Batched(Kind.RANGE, List.of(Objects.requireNonNull(column, "column is null")), n, cpus, 4, 8, false);
    }

    public Batched computeParallelism(int n) {
        return new Batched(kind, columns, chunks, n, upload, buffered, cache);
    }

    public Batched uploadParallelism(int n) {
        return new Batched(kind, columns, chunks, compute, n, Math.max(buffered, n), cache);
    }

    public Batched maxBufferedChunks(int n) {
        return new Batched(kind, columns, chunks, compute, upload, n, cache);
    }

    /**
     * Keeps each chunk's outputs in the instance's local table cache (see
     * {@link InvocationHook#cacheChunks()}); off by default. Not part of {@link #describe()}: turning it
     * on or off does not rerun the task.
     */
    public Batched cacheChunks(boolean on) {
        return new Batched(kind, columns, chunks, compute, upload, buffered, on);
    }

    @Override
    public String describe() {
        return (kind == Kind.HASH ? "hash" : "range") + "(" + String.join(", ", columns) + ") into " + chunks;
    }

    @Override
    public List<Chunk> prepare(ChunkPlanning planning) {
        return kind == Kind.HASH ? hashChunks(planning) : rangeChunks(planning);
    }

    private List<Chunk> hashChunks(ChunkPlanning planning) {
        String bucket = planning.bucketExpression(columns, chunks);
        List<Chunk> result = new ArrayList<>(chunks);
        for (int i = 0; i < chunks; i++) {
            result.add(new Chunk(i, bucket + " = " + i, "bucket " + (i + 1) + " of " + chunks));
        }
        return result;
    }

    private List<Chunk> rangeChunks(ChunkPlanning planning) {
        if (planning.tableInputs().isEmpty()) {
            throw new IllegalStateException("rangeOf(" + columns.get(0) + ") needs a table input to read the range from");
        }
        String column = planning.quote(columns.get(0));
        Rows bounds = planning.query("SELECT CAST(min(" + column + ") AS DOUBLE PRECISION) AS lo, CAST(max(" + column
                + ") AS DOUBLE PRECISION) AS hi FROM " + planning.sqlName(planning.tableInputs().get(0)));
        Row row = bounds.get(0);
        if (row.get("lo") == null) {
            return List.of(new Chunk(0, null, "empty input"));
        }
        double lo = row.getDouble("lo");
        double hi = row.getDouble("hi");
        double width = (hi - lo) / chunks;
        List<Chunk> result = new ArrayList<>(chunks);
        for (int i = 0; i < chunks; i++) {
            // rows with a NULL key go to the first chunk: they fall in no range
            String from = i == 0 ? null : column + " >= " + (lo + i * width);
            String to = i == chunks - 1 ? null : column + " < " + (lo + (i + 1) * width);
            String predicate = from == null ? (to == null ? null : "(" + to + " OR " + column + " IS NULL)")
                    : to == null ? from : from + " AND " + to;
            result.add(new Chunk(i, predicate, "range " + (i + 1) + " of " + chunks));
        }
        return result;
    }

    @Override
    public int computeParallelism() {
        return compute;
    }

    @Override
    public int uploadParallelism() {
        return upload;
    }

    @Override
    public int maxBufferedChunks() {
        return buffered;
    }

    @Override
    public boolean cacheChunks() {
        return cache;
    }

    @Override
    public String toString() {
        return "Batched[" + describe() + "]";
    }
}
