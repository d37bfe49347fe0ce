package dev.weir.stores.postgres;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Arrow test data as a reader: {@code batches} batches of one schema, each filled by a callback into
 * the reader's own root, so that tables of millions of rows need one batch of memory. The reader owns
 * its vectors; closing it frees them.
 */
final class TestBatches extends ArrowReader {

    /** Fills {@code root} with batch number {@code batch} and sets its row count. */
    interface Filler {
        void fill(VectorSchemaRoot root, int batch);
    }

    private final Schema schema;
    private final int batches;
    private final Filler filler;
    private int next;

    TestBatches(BufferAllocator allocator, Schema schema, int batches, Filler filler) {
        super(allocator);
        this.schema = schema;
        this.batches = batches;
        this.filler = filler;
    }

    @Override
    public boolean loadNextBatch() throws java.io.IOException {
        prepareLoadNextBatch();
        if (next == batches) {
            return false;
        }
        VectorSchemaRoot root = getVectorSchemaRoot();
        for (FieldVector vector : root.getFieldVectors()) {
            vector.allocateNew();
        }
        filler.fill(root, next++);
        return true;
    }

    @Override
    public long bytesRead() {
        return 0;
    }

    @Override
    protected void closeReadSource() {
    }

    @Override
    protected Schema readSchema() {
        return schema;
    }

    /** Every row of {@code reader}, each as the list of its values ({@code getObject}), closing nothing. */
    static List<List<Object>> rows(ArrowReader reader) throws java.io.IOException {
        List<List<Object>> rows = new ArrayList<>();
        VectorSchemaRoot root = reader.getVectorSchemaRoot();
        while (reader.loadNextBatch()) {
            for (int r = 0; r < root.getRowCount(); r++) {
                List<Object> row = new ArrayList<>();
                for (FieldVector vector : root.getFieldVectors()) {
                    Object value = vector.getObject(r);
                    row.add(value instanceof org.apache.arrow.vector.util.Text t ? t.toString() : value);
                }
                rows.add(row);
            }
        }
        return rows;
    }
}
