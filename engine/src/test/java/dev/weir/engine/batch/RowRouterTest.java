package dev.weir.engine.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntPredicate;
import java.util.function.IntUnaryOperator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * The built-in hooks' routers put every row in the one chunk whose in-memory filter (the twin of its
 * SQL predicate) selects it: NULL, negative, NaN and infinite keys included.
 */
class RowRouterTest {

    private static final Schema SCHEMA = new Schema(List.of(
            Field.nullable("k", new ArrowType.Int(64, true)),
            Field.nullable("x", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));

    private static Rows rows() {
        Rows.Builder b = Rows.builder(SCHEMA);
        double[] odd = {Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, -0.0};
        for (long i = 0; i < 1_000; i++) {
            Long k = i % 17 == 0 ? null : i * 7_919 - 3_000_000;
            Double x = i % 19 == 0 ? null : i < odd.length ? odd[(int) i] : (i % 100) / 3.0 - 5;
            b.add(k, x);
        }
        return b.build();
    }

    /** Planning over one inlined input held in memory. */
    private record InMemory(ArrowTable table) implements ChunkPlanning {
        @Override
        public List<String> tableInputs() {
            return List.of("t");
        }

        @Override
        public String sqlName(String input) {
            throw new IllegalArgumentException("in memory");
        }

        @Override
        public Optional<ArrowTable> inMemory(String input) {
            return Optional.of(table);
        }

        @Override
        public String bucketExpression(List<String> columns, int buckets) {
            return IntegerBuckets.sql(columns, buckets);
        }

        @Override
        public Optional<RowFilter> bucketFilter(List<String> columns, int buckets, int bucket) {
            return Optional.of(IntegerBuckets.filter(columns, buckets, bucket));
        }

        @Override
        public String quote(String identifier) {
            return "\"" + identifier + "\"";
        }

        @Override
        public Rows query(String sql) {
            throw new UnsupportedOperationException();
        }
    }

    private static void assertRoutesAsFiltersSelect(Batched hook, int expectedChunks) throws Exception {
        try (RootAllocator allocator = new RootAllocator(); ArrowTable table = rows().toArrow(allocator)) {
            List<Chunk> chunks = hook.prepare(new InMemory(table));
            assertEquals(expectedChunks, chunks.size());
            RowRouter router = hook.route(chunks, "t").orElseThrow();
            for (VectorSchemaRoot batch : table.batches()) {
                IntUnaryOperator route = router.bind(batch);
                List<IntPredicate> filters = new ArrayList<>();
                for (Chunk chunk : chunks) {
                    filters.add(hook.restrictInMemory(chunk, "t").orElseThrow().bind(batch));
                }
                for (int row = 0; row < batch.getRowCount(); row++) {
                    List<Integer> selecting = new ArrayList<>();
                    for (int p = 0; p < filters.size(); p++) {
                        if (filters.get(p).test(row)) {
                            selecting.add(p);
                        }
                    }
                    assertEquals(1, selecting.size(), "row " + row + " is selected by chunks " + selecting);
                    assertEquals(selecting.get(0), route.applyAsInt(row), hook + " routes row " + row);
                }
            }
        }
    }

    @Test
    void hashRoutesEachRowToTheChunkOfItsBucket() throws Exception {
        assertRoutesAsFiltersSelect(Batched.hashOf("k", 7), 7);
        assertRoutesAsFiltersSelect(Batched.hashOf(List.of("k", "k"), 3), 3);
    }

    @Test
    void rangeRoutesEachRowToTheChunkOfItsRange() throws Exception {
        assertRoutesAsFiltersSelect(Batched.rangeOf("k", 5), 5);
        assertRoutesAsFiltersSelect(Batched.rangeOf("x", 6), 6);
        assertRoutesAsFiltersSelect(Batched.rangeOf("x", 1), 1);
    }

    @Test
    void onlyHashOfScansOnceByDefault() {
        assertTrue(Batched.hashOf("k", 2).scanOnce());
        assertTrue(!Batched.rangeOf("k", 2).scanOnce() && Batched.rangeOf("k", 2).scanOnce(true).scanOnce());
    }
}
