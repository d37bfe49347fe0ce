package dev.weir.stores.postgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Streams Arrow batches into an existing table with {@code COPY ... FROM STDIN (FORMAT binary)}.
 * Memory stays at one Arrow batch (owned by the caller's reader) plus one {@link #BUFFER_BYTES}
 * buffer, whatever the table's size.
 */
final class PgCopyWriter {

    /** Large enough that the driver's per-write overhead vanishes, small enough to stay in cache. */
    static final int BUFFER_BYTES = 1 << 20;

    private PgCopyWriter() {
    }

    /**
     * Copies every remaining batch of {@code data} into the table named by {@code copySql}.
     *
     * @param connection a connection (possibly a pool proxy) in the caller's transaction
     * @param copySql    {@code COPY "s"."t" ("a", ...) FROM STDIN (FORMAT binary)}
     * @param columns    the number of columns of {@code data}, each accepted by {@link ArrowCopyColumns}
     * @return the number of rows the server reports copied
     */
    static long copy(Connection connection, String copySql, int columns, ArrowReader data)
            throws SQLException, IOException {
        CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
        return copy(copy, columns, data);
    }

    /**
     * Encodes every remaining batch of {@code data} into {@code copy} and ends it; cancels it on failure.
     *
     * @return the row count {@link CopyIn#endCopy()} reports
     */
    static long copy(CopyIn copy, int columns, ArrowReader data) throws SQLException, IOException {
        try {
            CopyBuffer out = new CopyBuffer(copy, BUFFER_BYTES);
            out.header();
            VectorSchemaRoot root = data.getVectorSchemaRoot();
            short fieldCount = (short) columns;
            ArrowCopyColumns.Encoder[] encoders = new ArrowCopyColumns.Encoder[columns];
            while (data.loadNextBatch()) {
                // Readers may swap buffers between batches: bind the encoders anew each time.
                List<FieldVector> vectors = root.getFieldVectors();
                for (int c = 0; c < columns; c++) {
                    encoders[c] = ArrowCopyColumns.encoder(vectors.get(c));
                }
                int rows = root.getRowCount();
                for (int row = 0; row < rows; row++) {
                    out.ensure(2);
                    out.putShort(fieldCount);
                    for (ArrowCopyColumns.Encoder encoder : encoders) {
                        encoder.write(row, out);
                    }
                }
            }
            out.trailer();
            out.flush();
            return copy.endCopy();
        } catch (SQLException | IOException | RuntimeException | Error e) {
            // Leave the connection usable: the transaction is rolled back by the caller.
            if (copy.isActive()) {
                try {
                    copy.cancelCopy();
                } catch (SQLException cancelFailed) {
                    e.addSuppressed(cancelFailed);
                }
            }
            throw e;
        }
    }
}
