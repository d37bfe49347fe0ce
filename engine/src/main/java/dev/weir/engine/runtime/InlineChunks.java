package dev.weir.engine.runtime;

import dev.weir.engine.batch.RowFilter;
import dev.weir.engine.data.ArrowTable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A chunk's rows of an inlined input: the rows of the in-memory table a {@link RowFilter} selects,
 * copied out for the chunk, and their fingerprint for the chunk's cache key. Reads the table only, so
 * the chunks of a task use it on several threads at once.
 */
final class InlineChunks {

    private InlineChunks() {
    }

    /**
     * The rows of {@code table} that {@code filter} selects, as a table the caller owns and closes once:
     * a view sharing the buffers when every row is selected, otherwise a copy allocated from
     * {@code allocator}. Always holds at least one batch, so even an empty chunk has its columns.
     */
    static ArrowTable select(ArrowTable table, RowFilter filter, BufferAllocator allocator) {
        if (filter == RowFilter.ALL) {
            return table.view(allocator);
        }
        List<VectorSchemaRoot> copies = new ArrayList<>();
        try {
            for (VectorSchemaRoot batch : table.batches()) {
                int[] rows = selected(batch, filter);
                if (rows.length > 0) {
                    copies.add(copy(batch, rows, allocator));
                }
            }
            if (copies.isEmpty()) {
                VectorSchemaRoot empty = VectorSchemaRoot.create(table.schema(), allocator);
                empty.setRowCount(0);
                copies.add(empty);
            }
            return ArrowTable.of(table.schema(), copies);
        } catch (RuntimeException | Error e) {
            copies.forEach(VectorSchemaRoot::close);
            throw e;
        }
    }

    /**
     * The rows of {@code table} numbered in {@code rows} (for each batch, the rows to take, ascending),
     * copied out as a table the caller owns, from {@code allocator}; always at least one batch.
     */
    static ArrowTable select(ArrowTable table, int[][] rows, BufferAllocator allocator) {
        List<VectorSchemaRoot> copies = new ArrayList<>();
        try {
            List<VectorSchemaRoot> batches = table.batches();
            for (int b = 0; b < batches.size(); b++) {
                if (rows[b].length > 0) {
                    copies.add(copy(batches.get(b), rows[b], allocator));
                }
            }
            if (copies.isEmpty()) {
                VectorSchemaRoot empty = VectorSchemaRoot.create(table.schema(), allocator);
                empty.setRowCount(0);
                copies.add(empty);
            }
            return ArrowTable.of(table.schema(), copies);
        } catch (RuntimeException | Error e) {
            copies.forEach(VectorSchemaRoot::close);
            throw e;
        }
    }

    private static int[] selected(VectorSchemaRoot batch, RowFilter filter) {
        IntPredicate test = filter.bind(batch);
        int[] rows = new int[batch.getRowCount()];
        int n = 0;
        for (int row = 0; row < batch.getRowCount(); row++) {
            if (test.test(row)) {
                rows[n++] = row;
            }
        }
        return Arrays.copyOf(rows, n);
    }

    private static VectorSchemaRoot copy(VectorSchemaRoot batch, int[] rows, BufferAllocator allocator) {
        VectorSchemaRoot target = VectorSchemaRoot.create(batch.getSchema(), allocator);
        try {
            for (int c = 0; c < batch.getFieldVectors().size(); c++) {
                FieldVector from = batch.getVector(c);
                FieldVector to = target.getVector(c);
                to.setInitialCapacity(rows.length);
                to.allocateNew();
                for (int i = 0; i < rows.length; i++) {
                    to.copyFromSafe(rows[i], i, from);
                }
                to.setValueCount(rows.length);
            }
            target.setRowCount(rows.length);
            return target;
        } catch (RuntimeException | Error e) {
            target.close();
            throw e;
        }
    }

    /**
     * A fingerprint of the rows {@code filter} selects, with the properties of the stores'
     * fingerprints: equal for equal multisets of rows in any order and any batching, different (with
     * overwhelming probability) when a row is added, removed, changed or duplicated. The row count and
     * two sums of 64-bit hashes of each row's values (with different seeds); deterministic across runs.
     * Prefixed so it never equals a store's fingerprint: a chunk computed from a materialized input
     * does not stand for one computed from an inlined input, and the other way round.
     */
    static String fingerprint(ArrowTable table, RowFilter filter) {
        long count = 0;
        long sum0 = 0;
        long sum1 = 0;
        StringBuilder row = new StringBuilder();
        for (VectorSchemaRoot batch : table.batches()) {
            IntPredicate test = filter.bind(batch);
            List<FieldVector> vectors = batch.getFieldVectors();
            for (int r = 0; r < batch.getRowCount(); r++) {
                if (!test.test(r)) {
                    continue;
                }
                row.setLength(0);
                for (FieldVector v : vectors) {
                    // a NULL and every value are told apart by their tag, columns by the separator
                    row.append(v.isNull(r) ? "\u0000N" : "\u0001" + value(v.getObject(r))).append('\u0002');
                }
                byte[] bytes = row.toString().getBytes(StandardCharsets.UTF_8);
                count++;
                sum0 += hash(bytes, 0x9E3779B97F4A7C15L);
                sum1 += hash(bytes, 0xC2B2AE3D27D4EB4FL);
            }
        }
        return "arrow:" + count + ":" + Long.toUnsignedString(sum0) + ":" + Long.toUnsignedString(sum1);
    }

    private static String value(Object value) {
        return value instanceof byte[] bytes ? java.util.HexFormat.of().formatHex(bytes) : value.toString();
    }

    /** FNV-1a over the bytes from a seed, then SplitMix64's finalizer to spread every bit. */
    private static long hash(byte[] bytes, long seed) {
        long h = seed ^ 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 30;
        h *= 0xbf58476d1ce4e5b9L;
        h ^= h >>> 27;
        h *= 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }
}
