package dev.weir.engine.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How {@code rangeOf} writes its chunks' predicates for a table in the store. */
class RangeChunksTest {

    /**
     * Planning over one stored input whose key runs from {@code lo} to {@code hi}, and over its finite
     * keys from {@code finiteLo} to {@code finiteHi}.
     */
    private record Planning(Object lo, Object hi, Object finiteLo, Object finiteHi) implements ChunkPlanning {
        Planning(Object lo, Object hi) {
            this(lo, hi, lo, hi);
        }

        @Override
        public List<String> tableInputs() {
            return List.of("orders");
        }

        @Override
        public String sqlName(String input) {
            return "\"s\".\"" + input + "\"";
        }

        @Override
        public Optional<ArrowTable> inMemory(String input) {
            return Optional.empty();
        }

        @Override
        public String bucketExpression(List<String> columns, int buckets) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<RowFilter> bucketFilter(List<String> columns, int buckets, int bucket) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String quote(String identifier) {
            return "\"" + identifier + "\"";
        }

        @Override
        public Rows query(String sql) {
            return sql.contains(" WHERE ") ? Rows.builder("lo", "hi").add(finiteLo, finiteHi).build()
                    : Rows.builder("lo", "hi").add(lo, hi).build();
        }
    }

    private static List<String> predicates(Object lo, Object hi, int chunks) throws Exception {
        return Batched.rangeOf("id", chunks).prepare(new Planning(lo, hi)).stream().map(Chunk::predicate).toList();
    }

    @Test
    void anIntegerKeyIsSplitAtWholeNumbersWrittenAsIntegers() throws Exception {
        // Integer literals keep the comparison in the column's type, so an index on it serves each chunk.
        assertEquals(List.of("(\"id\" < 4 OR \"id\" IS NULL)", "\"id\" >= 4 AND \"id\" < 7", "\"id\" >= 7"),
                predicates(0L, 10L, 3));
        assertEquals(List.of("(\"id\" < 5000000 OR \"id\" IS NULL)", "\"id\" >= 5000000 AND \"id\" < 10000000",
                "\"id\" >= 10000000 AND \"id\" < 15000000", "\"id\" >= 15000000"), predicates(0L, 20_000_000L, 4));
        assertEquals(List.of("(\"id\" < -5 OR \"id\" IS NULL)", "\"id\" >= -5"), predicates(-10, 0, 2));
    }

    @Test
    void aDoubleKeyKeepsItsExactBounds() throws Exception {
        assertEquals(List.of("(\"id\" < 0.5 OR \"id\" IS NULL)", "\"id\" >= 0.5"), predicates(0.0, 1.0, 2));
    }

    @Test
    void aDoubleKeyWithNaNOrInfiniteKeysIsSplitOverItsFiniteOnes() throws Exception {
        // NaN and infinite bounds have no SQL literal; the edge chunks, open on one side, take those keys.
        List<String> finite = List.of("(\"id\" < 0.5 OR \"id\" IS NULL)", "\"id\" >= 0.5");
        assertEquals(finite, Batched.rangeOf("id", 2).prepare(new Planning(Double.NEGATIVE_INFINITY, Double.NaN, 0.0, 1.0))
                .stream().map(Chunk::predicate).toList());
        assertEquals(finite, Batched.rangeOf("id", 2).prepare(new Planning(0.0, Double.POSITIVE_INFINITY, 0.0, 1.0))
                .stream().map(Chunk::predicate).toList());
    }

    @Test
    void aDoubleKeyWithNoFiniteKeyIsOneChunk() throws Exception {
        List<Chunk> chunks = Batched.rangeOf("id", 4).prepare(new Planning(Double.NaN, Double.NaN, null, null));
        assertEquals(1, chunks.size());
        assertEquals(null, chunks.get(0).predicate());
    }

    @Test
    void anEmptyInputIsOneChunkWithoutAPredicate() throws Exception {
        assertEquals(java.util.Arrays.asList((String) null), predicates(null, null, 4));
    }
}
