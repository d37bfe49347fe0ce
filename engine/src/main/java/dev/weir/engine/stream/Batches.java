package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Moves Arrow batches between owners without copying data where Arrow allows. Every method takes
 * ownership of the tables it is given and returns tables the caller owns; on failure, it closes what
 * it was given and what it made.
 */
final class Batches {

    private Batches() {
    }

    /**
     * One table per consumer, sharing {@code table}'s buffers by reference count: each consumer owns
     * and closes its own table, and the memory is freed when the last one is closed.
     */
    static List<ArrowTable> share(ArrowTable table, int consumers, BufferAllocator allocator) {
        if (consumers == 1) {
            return List.of(table);
        }
        List<ArrowTable> copies = new ArrayList<>(consumers);
        try {
            for (int i = 1; i < consumers; i++) {
                copies.add(shallowCopy(table, allocator));
            }
            copies.add(table);
            return copies;
        } catch (RuntimeException e) {
            copies.forEach(ArrowTable::close);
            table.close();
            throw e;
        }
    }

    private static ArrowTable shallowCopy(ArrowTable table, BufferAllocator allocator) {
        List<VectorSchemaRoot> roots = new ArrayList<>();
        try {
            for (VectorSchemaRoot root : table.batches()) {
                VectorSchemaRoot copy = VectorSchemaRoot.create(root.getSchema(), allocator);
                roots.add(copy);
                try (ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch()) {
                    new VectorLoader(copy).load(batch);
                }
            }
            return ArrowTable.of(table.schema(), roots);
        } catch (RuntimeException e) {
            roots.forEach(VectorSchemaRoot::close);
            throw e;
        }
    }

    /** Parts of at most {@code maxRows} rows each, in order; {@code table} is consumed. */
    static List<ArrowTable> split(ArrowTable table, int maxRows) {
        List<ArrowTable> parts = new ArrayList<>();
        try (table) {
            for (VectorSchemaRoot root : table.batches()) {
                for (int start = 0; start < root.getRowCount(); start += maxRows) {
                    parts.add(ArrowTable.of(root.slice(start, Math.min(maxRows, root.getRowCount() - start))));
                }
            }
            return parts;
        } catch (RuntimeException e) {
            parts.forEach(ArrowTable::close);
            throw e;
        }
    }

    /**
     * One table holding the batches of all {@code parts} (which must share a schema), moved without
     * copying; the parts are consumed.
     */
    static ArrowTable concat(List<ArrowTable> parts, BufferAllocator allocator) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        List<VectorSchemaRoot> roots = new ArrayList<>();
        try {
            Schema schema = parts.get(0).schema();
            for (ArrowTable part : parts) {
                if (!part.schema().equals(schema)) {
                    throw new IllegalStateException("the parts of the batch have different schemas: " + schema
                            + " and " + part.schema());
                }
                for (VectorSchemaRoot root : part.batches()) {
                    VectorSchemaRoot moved = VectorSchemaRoot.create(schema, allocator);
                    roots.add(moved);
                    for (int i = 0; i < root.getFieldVectors().size(); i++) {
                        root.getVector(i).makeTransferPair(moved.getVector(i)).transfer();
                    }
                    moved.setRowCount(root.getRowCount());
                }
            }
            return ArrowTable.of(schema, roots);
        } catch (RuntimeException e) {
            roots.forEach(VectorSchemaRoot::close);
            throw e;
        } finally {
            parts.forEach(ArrowTable::close);
        }
    }
}
