package dev.weir.stores.postgres;

import java.sql.SQLException;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * What the two ways of reading a result into Arrow share: the schema from the result's server types,
 * batches of at most {@code batchRows} rows in freshly allocated vectors, the end of the result, and the
 * failure message naming the statement. Subclasses move the rows.
 */
abstract class PgBatchReader extends ArrowReader {

    final Object store;
    final String sql;
    final List<String> pgTypes;
    final int batchRows;
    private final Schema schema;
    private boolean exhausted;
    private long bytesRead;

    PgBatchReader(BufferAllocator allocator, Object store, String sql, Schema schema, List<String> pgTypes,
                  int batchRows) {
        super(allocator);
        this.store = store;
        this.sql = sql;
        this.schema = schema;
        this.pgTypes = pgTypes;
        this.batchRows = batchRows;
    }

    /**
     * Fills rows 0.. of {@code vectors}, allocated for {@link #batchRows} rows, with the next rows of the
     * result, at most {@code batchRows}.
     *
     * @return the number of rows filled; fewer than {@code batchRows} ends the result
     */
    abstract int fill(List<FieldVector> vectors, Row row) throws SQLException;

    /** The row being filled, for the message should filling fail. */
    static final class Row {
        int index;
    }

    @Override
    protected final Schema readSchema() {
        return schema;
    }

    @Override
    public final boolean loadNextBatch() throws java.io.IOException {
        prepareLoadNextBatch();
        if (exhausted) {
            return false;
        }
        VectorSchemaRoot root = getVectorSchemaRoot();
        List<FieldVector> vectors = root.getFieldVectors();
        for (FieldVector vector : vectors) {
            vector.setInitialCapacity(batchRows);
            vector.allocateNew();
        }
        Row row = new Row();
        int rows;
        try {
            rows = fill(vectors, row);
        } catch (SQLException e) {
            throw PgErrors.failure(store, "cannot read row " + row.index + " of a batch", sql, e);
        }
        if (rows < batchRows) {
            exhausted = true;
        }
        for (FieldVector vector : vectors) {
            vector.setValueCount(rows);
            bytesRead += vector.getBufferSize();
        }
        root.setRowCount(rows);
        return rows > 0;
    }

    /** An estimate: the size of the Arrow buffers filled so far. */
    @Override
    public final long bytesRead() {
        return bytesRead;
    }
}
