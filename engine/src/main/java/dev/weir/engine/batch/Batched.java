package dev.weir.engine.batch;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Row;
import dev.weir.engine.data.Rows;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The built-in invocation hooks: split a task by a stable hash of grouping columns, or by ranges of an
 * ordered key. Immutable; the {@code with…} methods return copies.
 *
 * <pre>{@code
 * stage.task("score").input("orders", orders, ArrowTable.class)
 *     .batched(Batched.hashOf("customer_id", 50).computeParallelism(4).uploadParallelism(8).cacheChunks(true))
 *     .produces(ctx -> Table.of(score(ctx.input("orders", ArrowTable.class))));
 * }</pre>
 *
 * <p>Both take inlined inputs ({@link InvocationHook#filtersInMemory}) when their columns allow an exact
 * in-memory twin of the SQL predicate: {@code hashOf} when every grouping column is a signed integer
 * (bucketed by {@link IntegerBuckets} in the store and in memory alike), {@code rangeOf} when the column
 * is a signed integer or a double. Otherwise the producer's table is written to the store.
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
    private final boolean scan;

    private Batched(Kind kind, List<String> columns, int chunks, int compute, int upload, int buffered, boolean cache,
                    boolean scan) {
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
        this.scan = scan;
    }

    /** {@code n} chunks by a stable hash of {@code column}: each group of equal values in one chunk. */
    public static Batched hashOf(String column, int n) {
        return hashOf(List.of(Objects.requireNonNull(column, "column is null")), n);
    }

    /** {@code n} chunks by a stable hash of several columns. */
    public static Batched hashOf(List<String> columns, int n) {
        int cpus = Math.max(1, Runtime.getRuntime().availableProcessors());
        return new Batched(Kind.HASH, columns, n, cpus, 4, 8, false, true);
    }

    /**
     * {@code n} chunks of equal width over the range of an ordered numeric {@code column} (read from the
     * first table input when the task starts: in the store, or in memory when that input is inlined).
     * Rows with a NULL key belong to the first chunk.
     */
    public static Batched rangeOf(String column, int n) {
        int cpus = Math.max(1, Runtime.getRuntime().availableProcessors());
        return new Batched(Kind.RANGE, List.of(Objects.requireNonNull(column, "column is null")), n, cpus, 4, 8, false,
                false);
    }

    public Batched computeParallelism(int n) {
        return new Batched(kind, columns, chunks, n, upload, buffered, cache, scan);
    }

    public Batched uploadParallelism(int n) {
        return new Batched(kind, columns, chunks, compute, n, Math.max(buffered, n), cache, scan);
    }

    public Batched maxBufferedChunks(int n) {
        return new Batched(kind, columns, chunks, compute, upload, n, cache, scan);
    }

    /**
     * Keeps each chunk's outputs in the instance's local table cache (see
     * {@link InvocationHook#cacheChunks()}); off by default. Not part of {@link #describe()}: turning it
     * on or off does not rerun the task.
     */
    public Batched cacheChunks(boolean on) {
        return new Batched(kind, columns, chunks, compute, upload, buffered, on, scan);
    }

    /**
     * Whether the chunks' rows of an input in the store come from one scan of it, routed row by row to
     * the chunks (see {@link InvocationHook#scanOnce()}), rather than from one query per chunk. On by
     * default for {@code hashOf}, whose chunks would each scan the whole input; off for {@code rangeOf},
     * whose chunks read their ranges by index when the key has one (turn it on for a key without an
     * index). Not part of {@link #describe()}: the chunks read the same rows either way.
     */
    public Batched scanOnce(boolean on) {
        return new Batched(kind, columns, chunks, compute, upload, buffered, cache, on);
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
            result.add(new Chunk(i, bucket + " = " + i, "bucket " + (i + 1) + " of " + chunks,
                    planning.bucketFilter(columns, chunks, i).orElse(null)));
        }
        return result;
    }

    private List<Chunk> rangeChunks(ChunkPlanning planning) {
        if (planning.tableInputs().isEmpty()) {
            throw new IllegalStateException("rangeOf(" + columns.get(0) + ") needs a table input to read the range from");
        }
        String input = planning.tableInputs().get(0);
        Optional<ArrowTable> inMemory = planning.inMemory(input);
        Range range = inMemory.isPresent() ? rangeInMemory(inMemory.get(), columns.get(0))
                : rangeInStore(planning, input);
        if (range == null) {
            return List.of(new Chunk(0, null, "empty input"));
        }
        if (Double.isNaN(range.lo())) {
            return List.of(new Chunk(0, null, "no finite keys"));
        }
        double lo = range.lo();
        double width = (range.hi() - lo) / chunks;
        String column = planning.quote(columns.get(0));
        List<Chunk> result = new ArrayList<>(chunks);
        for (int i = 0; i < chunks; i++) {
            // rows with a NULL key go to the first chunk: they fall in no range
            Double from = i == 0 ? null : range.bound(lo + i * width);
            Double to = i == chunks - 1 ? null : range.bound(lo + (i + 1) * width);
            String atLeast = from == null ? null : column + " >= " + range.literal(from);
            String below = to == null ? null : column + " < " + range.literal(to);
            String predicate = atLeast == null ? (below == null ? null : "(" + below + " OR " + column + " IS NULL)")
                    : below == null ? atLeast : atLeast + " AND " + below;
            result.add(new Chunk(i, predicate, "range " + (i + 1) + " of " + chunks,
                    rangeFilter(columns.get(0), from, to, i == 0)));
        }
        return result;
    }

    /**
     * The lowest and highest finite key, as doubles (both NaN when every key is NaN or infinite);
     * {@code integral} when the key column is an integer type. Infinite and NaN keys fall in the first
     * or last chunk, which have no lower or upper bound: SQL and {@link #below} order NaN above every
     * number.
     * Then chunk bounds are rounded up to whole numbers and written as integer literals: for integer
     * keys {@code key >= b} and {@code key >= ceil(b)} select the same rows, and an integer literal lets
     * the database compare in the column's own type — and use its index, so that each chunk reads only
     * its range (a decimal literal would make PostgreSQL compare every key as {@code numeric}).
     */
    private record Range(double lo, double hi, boolean integral) {
        double bound(double at) {
            return integral ? Math.ceil(at) : at;
        }

        String literal(double bound) {
            return integral ? Long.toString((long) bound) : Double.toString(bound);
        }
    }

    /** The range of the keys in the store, or null when every key is NULL. */
    private Range rangeInStore(ChunkPlanning planning, String input) {
        String column = planning.quote(columns.get(0));
        Rows bounds = planning.query("SELECT min(" + column + ") AS lo, max(" + column + ") AS hi FROM "
                + planning.sqlName(input));
        Row row = bounds.get(0);
        Object lo = row.get("lo");
        if (lo == null) {
            return null;
        }
        boolean integral = lo instanceof Long || lo instanceof Integer || lo instanceof Short || lo instanceof Byte;
        if (integral || (Double.isFinite(row.getDouble("lo")) && Double.isFinite(row.getDouble("hi")))) {
            return new Range(row.getDouble("lo"), row.getDouble("hi"), integral);
        }
        // A NaN or infinite key would make the bounds NaN or infinite, which no SQL literal writes: range over
        // the finite keys. Both stores order NaN above every number, so BETWEEN leaves it out too.
        String max = Double.toString(Double.MAX_VALUE);
        Row finite = planning.query("SELECT min(" + column + ") AS lo, max(" + column + ") AS hi FROM "
                + planning.sqlName(input) + " WHERE " + column + " BETWEEN -" + max + " AND " + max).get(0);
        return finite.get("lo") == null ? new Range(Double.NaN, Double.NaN, false)
                : new Range(finite.getDouble("lo"), finite.getDouble("hi"), false);
    }

    /**
     * {@link #rangeInStore} over in-memory data. The minimum of the keys cast to double is the cast of
     * their minimum, since the cast keeps order.
     */
    private static Range rangeInMemory(ArrowTable data, String column) {
        double[] bounds = null;
        boolean anyKey = false;
        boolean integral = false;
        for (VectorSchemaRoot batch : data.batches()) {
            FieldVector vector = keyVector(batch, column);
            integral = vector instanceof BaseIntVector;
            for (int row = 0; row < batch.getRowCount(); row++) {
                if (vector.isNull(row)) {
                    continue;
                }
                anyKey = true;
                double key = key(vector, row);
                if (!Double.isFinite(key)) {
                    continue;
                }
                if (bounds == null) {
                    bounds = new double[] {key, key};
                } else {
                    bounds[0] = Math.min(key, bounds[0]);
                    bounds[1] = Math.max(key, bounds[1]);
                }
            }
        }
        if (bounds == null) {
            return anyKey ? new Range(Double.NaN, Double.NaN, false) : null;
        }
        return new Range(bounds[0], bounds[1], integral);
    }

    /**
     * The in-memory twin of a range chunk's predicate: {@code key >= from AND key < to}, NULL keys only
     * in the first chunk. The bounds are the doubles whose decimal form the predicate holds, which SQL
     * parses back to the same double; integer keys compare exactly with them below 2^53.
     */
    private static RowFilter rangeFilter(String column, Double from, Double to, boolean nulls) {
        return new RangeRows(column, from, to, nulls);
    }

    /** A range chunk's rows: its bounds kept, so that {@link #route} can put each row in its range at once. */
    private record RangeRows(String column, Double from, Double to, boolean nulls) implements RowFilter {
        @Override
        public java.util.function.IntPredicate bind(VectorSchemaRoot batch) {
            FieldVector vector = keyVector(batch, column);
            return row -> {
                if (vector.isNull(row)) {
                    return nulls;
                }
                double key = key(vector, row);
                return (from == null || !below(key, from)) && (to == null || below(key, to));
            };
        }
    }

    /**
     * Routes rows to the chunks this hook prepared: a {@code hashOf} row to the chunk of its bucket, a
     * {@code rangeOf} row to the chunk whose range holds its key, found by binary search over the lower
     * bounds. Empty when the chunks have no in-memory twin (keys that are not integers for {@code hashOf})
     * or are not this hook's.
     */
    @Override
    public Optional<RowRouter> route(List<Chunk> prepared, String input) {
        for (int i = 0; i < prepared.size(); i++) {
            if (prepared.get(i).index() != i || prepared.get(i).rows() == null) {
                return Optional.empty();
            }
        }
        if (kind == Kind.HASH) {
            return prepared.size() == chunks ? Optional.of(IntegerBuckets.router(columns, chunks)) : Optional.empty();
        }
        if (prepared.size() == 1) {
            return prepared.get(0).rows() == RowFilter.ALL || prepared.get(0).rows() instanceof RangeRows
                    ? Optional.of(batch -> row -> 0) : Optional.empty();
        }
        double[] lower = new double[prepared.size() - 1];
        for (int i = 0; i < prepared.size(); i++) {
            if (!(prepared.get(i).rows() instanceof RangeRows range) || (i > 0 && range.from() == null)) {
                return Optional.empty();
            }
            if (i > 0) {
                lower[i - 1] = range.from();
            }
        }
        String column = columns.get(0);
        return Optional.of(batch -> {
            FieldVector vector = keyVector(batch, column);
            return row -> vector.isNull(row) ? 0 : chunkOf(key(vector, row), lower);
        });
    }

    /**
     * The chunk of a non-null key: the last whose lower bound is not above it ({@code lower[i]} bounds
     * chunk {@code i + 1}; chunk 0 has none), in SQL's order of doubles, where NaN is above every bound.
     */
    private static int chunkOf(double key, double[] lower) {
        int lo = 0;
        int hi = lower.length; // the answer is in 0..lower.length
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (below(key, lower[mid - 1])) {
                hi = mid - 1;
            } else {
                lo = mid;
            }
        }
        return lo;
    }

    /** {@code a < b} in SQL's order of doubles, where NaN equals NaN and is above every number. */
    private static boolean below(double a, double b) {
        return !Double.isNaN(a) && (Double.isNaN(b) || a < b);
    }

    private static FieldVector keyVector(VectorSchemaRoot batch, String column) {
        FieldVector vector = batch.getVector(column);
        if (vector == null || !rangeable(vector.getField().getType())) {
            throw new IllegalArgumentException("rangeOf(" + column + ") reads a signed integer or double column '"
                    + column + "', but the in-memory input has " + (vector == null ? "no such column; its columns are "
                    + batch.getSchema().getFields().stream().map(Field::getName).toList() : vector.getField()));
        }
        return vector;
    }

    private static double key(FieldVector vector, int row) {
        return vector instanceof BaseIntVector ints ? ints.getValueAsLong(row) : ((Float8Vector) vector).get(row);
    }

    /** Signed integers and doubles: the key types whose comparison with a double literal Java repeats exactly. */
    private static boolean rangeable(ArrowType type) {
        return IntegerBuckets.accepts(type)
                || type instanceof ArrowType.FloatingPoint f && f.getPrecision() == FloatingPointPrecision.DOUBLE;
    }

    /**
     * True when the input's grouping columns have types whose chunk predicate has an exact in-memory
     * twin: signed integers for {@code hashOf}, a signed integer or double for {@code rangeOf}.
     */
    @Override
    public boolean filtersInMemory(String input, Schema schema) {
        for (String column : columns) {
            Optional<Field> field = schema.getFields().stream().filter(f -> f.getName().equals(column)).findFirst();
            if (field.isEmpty() || !(kind == Kind.HASH ? IntegerBuckets.accepts(field.get().getType())
                    : rangeable(field.get().getType()))) {
                return false;
            }
        }
        return true;
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
    public boolean scanOnce() {
        return scan;
    }

    @Override
    public String toString() {
        return "Batched[" + describe() + "]";
    }
}
