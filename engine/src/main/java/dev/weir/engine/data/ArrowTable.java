package dev.weir.engine.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A table held in memory as Arrow record batches of one schema.
 *
 * <p><b>Ownership.</b> An {@code ArrowTable} owns its batches and frees them on {@link #close()};
 * closing twice is harmless. A table handed to a task as input belongs to the engine, which closes
 * it after the task returns; a table a task returns inside a {@code Table} passes to the engine,
 * which closes it once it is materialized. Not thread-safe: one owner uses it at a time.
 */
public final class ArrowTable implements AutoCloseable {

    private final Schema schema;
    private final List<VectorSchemaRoot> batches;
    private boolean closed;

    private ArrowTable(Schema schema, List<VectorSchemaRoot> batches) {
        this.schema = Objects.requireNonNull(schema, "schema is null");
        this.batches = List.copyOf(batches);
        for (VectorSchemaRoot batch : this.batches) {
            if (!batch.getSchema().equals(schema)) {
                throw new IllegalArgumentException(
                        "batch schema " + batch.getSchema() + " differs from table schema " + schema);
            }
        }
    }

    /** A table of one batch; takes ownership of {@code root}. */
    public static ArrowTable of(VectorSchemaRoot root) {
        return new ArrowTable(root.getSchema(), List.of(root));
    }

    /** A table of several batches of one schema; takes ownership of every batch. */
    public static ArrowTable of(Schema schema, List<VectorSchemaRoot> batches) {
        return new ArrowTable(schema, batches);
    }

    /**
     * Reads {@code reader} to its end, moving each batch's buffers into a new batch allocated from
     * {@code allocator} (no copy of the data). The caller owns the result; the reader stays open.
     */
    public static ArrowTable readAll(ArrowReader reader, BufferAllocator allocator) {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try {
            VectorSchemaRoot source = reader.getVectorSchemaRoot();
            while (reader.loadNextBatch()) {
                VectorSchemaRoot target = VectorSchemaRoot.create(source.getSchema(), allocator);
                batches.add(target);
                for (int i = 0; i < source.getFieldVectors().size(); i++) {
                    source.getVector(i).makeTransferPair(target.getVector(i)).transfer();
                }
                target.setRowCount(source.getRowCount());
            }
            return new ArrowTable(source.getSchema(), batches);
        } catch (RuntimeException e) {
            // Rethrown as it is: a store's failure (a lost connection, say) must reach the engine
            // unchanged, so that it can tell a transient failure from a permanent one.
            batches.forEach(VectorSchemaRoot::close);
            throw e;
        } catch (java.io.IOException e) {
            batches.forEach(VectorSchemaRoot::close);
            throw new java.io.UncheckedIOException("could not read Arrow batches: " + e.getMessage(), e);
        }
    }

    public Schema schema() {
        return schema;
    }

    /**
     * Moves this table's buffers to {@code allocator} (no copy of the data) and returns the new owner;
     * this table is left closed. Used to hand data from a task's allocator to a longer-lived one.
     */
    public ArrowTable transferTo(BufferAllocator allocator) {
        checkOpen();
        List<VectorSchemaRoot> moved = new ArrayList<>(batches.size());
        try {
            for (VectorSchemaRoot batch : batches) {
                List<org.apache.arrow.vector.FieldVector> vectors = new ArrayList<>();
                for (org.apache.arrow.vector.FieldVector v : batch.getFieldVectors()) {
                    org.apache.arrow.vector.util.TransferPair pair = v.getTransferPair(allocator);
                    pair.transfer();
                    vectors.add((org.apache.arrow.vector.FieldVector) pair.getTo());
                }
                VectorSchemaRoot target = new VectorSchemaRoot(batch.getSchema().getFields(), vectors, batch.getRowCount());
                moved.add(target);
            }
        } catch (RuntimeException e) {
            moved.forEach(VectorSchemaRoot::close);
            throw e;
        }
        close();
        return new ArrowTable(schema, moved);
    }

    /**
     * Another owner of the same data: a table whose batches share this table's buffers through Arrow's
     * reference counts (no copy). Each of the two can be closed independently; the memory is freed when
     * the last one is closed. The view's vectors come from {@code allocator}.
     */
    public ArrowTable view(BufferAllocator allocator) {
        checkOpen();
        List<VectorSchemaRoot> shared = new ArrayList<>(batches.size());
        try {
            for (VectorSchemaRoot batch : batches) {
                VectorSchemaRoot target = VectorSchemaRoot.create(schema, allocator);
                shared.add(target);
                try (ArrowRecordBatch record = new VectorUnloader(batch).getRecordBatch()) {
                    new org.apache.arrow.vector.VectorLoader(target).load(record);
                }
            }
        } catch (RuntimeException e) {
            shared.forEach(VectorSchemaRoot::close);
            throw e;
        }
        return new ArrowTable(schema, shared);
    }

    /** The batches, still owned by this table. */
    public List<VectorSchemaRoot> batches() {
        checkOpen();
        return batches;
    }

    public long rowCount() {
        long rows = 0;
        for (VectorSchemaRoot batch : batches) {
            rows += batch.getRowCount();
        }
        return rows;
    }

    /**
     * A reader over this table's batches that shares their buffers. The table stays their owner and
     * must outlive the reader; closing the reader frees only the reader's own references.
     */
    public ArrowReader reader(BufferAllocator allocator) {
        checkOpen();
        return new BatchListReader(allocator, schema, batches);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            batches.forEach(VectorSchemaRoot::close);
        }
    }

    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this ArrowTable has been closed");
        }
    }

    @Override
    public String toString() {
        return "ArrowTable[" + rowCount() + " rows, " + batches.size() + " batches, " + schema + "]";
    }

    /** Replays in-memory batches through the reader's own root, sharing buffers by reference count. */
    private static final class BatchListReader extends ArrowReader {
        private final Schema schema;
        private final List<VectorSchemaRoot> batches;
        private int next;

        BatchListReader(BufferAllocator allocator, Schema schema, List<VectorSchemaRoot> batches) {
            super(allocator);
            this.schema = schema;
            this.batches = batches;
        }

        @Override
        public boolean loadNextBatch() throws java.io.IOException {
            prepareLoadNextBatch();
            if (next >= batches.size()) {
                return false;
            }
            try (ArrowRecordBatch batch = new VectorUnloader(batches.get(next++)).getRecordBatch()) {
                loadRecordBatch(batch);
            }
            return true;
        }

        @Override
        public long bytesRead() {
            return 0;
        }

        @Override
        protected void closeReadSource() {
            // the batches belong to the ArrowTable
        }

        @Override
        protected Schema readSchema() {
            return schema;
        }
    }
}
