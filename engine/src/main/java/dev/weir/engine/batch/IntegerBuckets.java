package dev.weir.engine.batch;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.pojo.ArrowType;

/**
 * The bucket of a row by integer key columns, computed the same way in SQL and in Java: the engine
 * splits batched tasks by it whenever the grouping columns are signed integers, in the store (as an
 * expression every store evaluates alike) and in memory (for inlined inputs), so a row lands in the
 * same chunk in both.
 *
 * <p>The function is modular arithmetic on BIGINT that never overflows, so DuckDB, PostgreSQL and
 * Java agree on every value: with {@code P = 2^31 - 1}, each key becomes {@code r = floorMod(key, P)}
 * (0 for NULL: rows with a NULL key share one bucket, that of the key 0), the keys are folded as
 * {@code h = (h * A + r) mod P}, and the bucket is {@code ((h * A + B) mod P) mod buckets}. Every
 * intermediate value stays below {@code 2^62}. Equal keys always share a bucket; distinct keys are
 * spread like a universal hash.
 */
public final class IntegerBuckets {

    private static final long P = 2_147_483_647L;
    private static final long A = 1_327_217_885L;
    private static final long B = 1_013_904_223L;

    private IntegerBuckets() {
    }

    /** True for a signed integer type of any width: the keys this function buckets. */
    public static boolean accepts(ArrowType type) {
        return type instanceof ArrowType.Int i && i.getIsSigned();
    }

    /** True when every type is a signed integer. */
    public static boolean acceptsAll(List<ArrowType> types) {
        return !types.isEmpty() && types.stream().allMatch(IntegerBuckets::accepts);
    }

    /**
     * The bucket ({@code 0 .. buckets-1}) of one row's keys, in column order; a null element is a NULL
     * key.
     */
    public static int bucket(List<Long> keys, int buckets) {
        check(keys.size(), buckets);
        long h = 0;
        for (int i = 0; i < keys.size(); i++) {
            Long key = keys.get(i);
            long r = key == null ? 0 : Math.floorMod(key, P);
            h = i == 0 ? r : (h * A + r) % P;
        }
        return (int) ((h * A + B) % P % buckets);
    }

    /**
     * The SQL expression of {@link #bucket}, over already quoted columns. It uses only {@code CAST},
     * {@code COALESCE}, {@code +}, {@code *} and {@code %} on BIGINT, where {@code %} truncates toward
     * zero (as in DuckDB and PostgreSQL); the first {@code %} is shifted into {@code 0 .. P-1}.
     */
    public static String sql(List<String> quotedColumns, int buckets) {
        check(quotedColumns.size(), buckets);
        String h = null;
        for (String column : quotedColumns) {
            String r = "COALESCE((CAST(" + column + " AS BIGINT) % " + P + " + " + P + ") % " + P + ", 0)";
            h = h == null ? r : "((" + h + ") * " + A + " + " + r + ") % " + P;
        }
        return "CAST(((" + h + ") * " + A + " + " + B + ") % " + P + " % " + buckets + " AS INTEGER)";
    }

    /**
     * The rows of bucket {@code bucket} of {@code buckets} by {@code columns}, in memory: the twin of
     * {@code sql(columns) = bucket}. Reads each column as a signed integer vector.
     */
    public static RowFilter filter(List<String> columns, int buckets, int bucket) {
        List<String> names = List.copyOf(columns);
        check(names.size(), buckets);
        if (bucket < 0 || bucket >= buckets) {
            throw new IllegalArgumentException("bucket " + bucket + " is not in 0.." + (buckets - 1));
        }
        return batch -> {
            List<BaseIntVector> vectors = vectors(batch, names);
            Long[] keys = new Long[vectors.size()];
            List<Long> row = java.util.Arrays.asList(keys);
            return index -> {
                for (int i = 0; i < keys.length; i++) {
                    BaseIntVector v = vectors.get(i);
                    keys[i] = ((FieldVector) v).isNull(index) ? null : v.getValueAsLong(index);
                }
                return bucket(row, buckets) == bucket;
            };
        };
    }

    /**
     * Routes each row to its bucket by {@code columns}: the bucket {@link #filter} would select it in,
     * computed once per row. Reads each column as a signed integer vector.
     */
    public static RowRouter router(List<String> columns, int buckets) {
        List<String> names = List.copyOf(columns);
        check(names.size(), buckets);
        return batch -> {
            List<BaseIntVector> vectors = vectors(batch, names);
            if (vectors.size() == 1) {
                BaseIntVector v = vectors.get(0);
                FieldVector nulls = (FieldVector) v;
                return index -> (int) ((Math.floorMod(nulls.isNull(index) ? 0 : v.getValueAsLong(index), P) * A + B)
                        % P % buckets);
            }
            Long[] keys = new Long[vectors.size()];
            List<Long> row = java.util.Arrays.asList(keys);
            return index -> {
                for (int i = 0; i < keys.length; i++) {
                    BaseIntVector v = vectors.get(i);
                    keys[i] = ((FieldVector) v).isNull(index) ? null : v.getValueAsLong(index);
                }
                return bucket(row, buckets);
            };
        };
    }

    private static List<BaseIntVector> vectors(org.apache.arrow.vector.VectorSchemaRoot batch, List<String> names) {
        List<BaseIntVector> vectors = new ArrayList<>(names.size());
        for (String name : names) {
            FieldVector vector = batch.getVector(name);
            if (vector == null) {
                throw new IllegalArgumentException("no column '" + name + "' to bucket rows by; the columns are "
                        + batch.getSchema().getFields().stream().map(f -> f.getName()).toList());
            }
            if (!accepts(vector.getField().getType()) || !(vector instanceof BaseIntVector ints)) {
                throw new IllegalArgumentException("column '" + name + "' is " + vector.getField().getType()
                        + ", not a signed integer, so its rows cannot be bucketed in memory");
            }
            vectors.add(ints);
        }
        return vectors;
    }

    private static void check(int columns, int buckets) {
        if (columns < 1) {
            throw new IllegalArgumentException("bucketing needs at least one column");
        }
        if (buckets < 1) {
            throw new IllegalArgumentException("the number of buckets must be at least 1, was " + buckets);
        }
    }
}
