package dev.weir.benchmarks;

import dev.weir.engine.data.ArrowTable;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The benchmarks' synthetic order rows: {@code id BIGINT, customer_id INT, amount DOUBLE,
 * name VARCHAR} (12 characters), a pure function of the row number, so the Arrow batches and the CSV
 * file hold the same rows.
 */
final class SyntheticRows {

    static final Schema SCHEMA = new Schema(List.of(
            Field.nullable("id", new ArrowType.Int(64, true)),
            Field.nullable("customer_id", new ArrowType.Int(32, true)),
            Field.nullable("amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
            Field.nullable("name", ArrowType.Utf8.INSTANCE)));

    /** The PostgreSQL definition the store derives from {@link #SCHEMA}, for tables made without Weir. */
    static final String COLUMNS_DDL =
            "(\"id\" bigint, \"customer_id\" integer, \"amount\" double precision, \"name\" text)";

    private SyntheticRows() {
    }

    static int customerId(long row) {
        return (int) (row % 100_003);
    }

    static double amount(long row) {
        return (row * 7_919 % 1_000_000) / 100.0;
    }

    static String name(long row) {
        return "name-" + (1_000_000 + row % 9_000_000);
    }

    /**
     * A PostgreSQL query making rows {@code 0} to {@code count - 1} on the server, with the same values
     * and column types as {@link #table} ({@link #customerId}, {@link #amount}, {@link #name}): a large
     * input table without a row passing through Java. The same text runs on DuckDB.
     */
    static String selectSql(long count) {
        return "SELECT g AS id, CAST(g % 100003 AS integer) AS customer_id,"
                + " CAST(g * 7919 % 1000000 AS double precision) / 100.0 AS amount,"
                + " 'name-' || CAST(1000000 + g % 9000000 AS varchar) AS name"
                + " FROM generate_series(CAST(0 AS bigint), " + (count - 1) + ") AS t(g)";
    }

    /**
     * Rows {@code first} to {@code first + count - 1} as a table of batches of at most {@code batchRows}
     * rows. The caller owns the table and closes it.
     */
    static ArrowTable table(BufferAllocator allocator, long first, long count, int batchRows) {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try {
            for (long start = first; start < first + count; start += batchRows) {
                int rows = (int) Math.min(batchRows, first + count - start);
                VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
                batches.add(root);
                fill(root, start, rows);
            }
            return ArrowTable.of(SCHEMA, batches);
        } catch (RuntimeException e) {
            batches.forEach(VectorSchemaRoot::close);
            throw e;
        }
    }

    private static void fill(VectorSchemaRoot root, long start, int rows) {
        BigIntVector id = (BigIntVector) root.getVector(0);
        IntVector customer = (IntVector) root.getVector(1);
        Float8Vector amount = (Float8Vector) root.getVector(2);
        VarCharVector name = (VarCharVector) root.getVector(3);
        id.allocateNew(rows);
        customer.allocateNew(rows);
        amount.allocateNew(rows);
        name.allocateNew(rows * 12L, rows);
        for (int r = 0; r < rows; r++) {
            long row = start + r;
            id.set(r, row);
            customer.set(r, customerId(row));
            amount.set(r, amount(row));
            name.setSafe(r, name(row).getBytes(StandardCharsets.US_ASCII));
        }
        root.setRowCount(rows);
    }

    /** Writes rows {@code 0} to {@code count - 1} as CSV without a header, in the column order of {@link #SCHEMA}. */
    static void writeCsv(Path file, long count) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
            StringBuilder line = new StringBuilder(64);
            for (long row = 0; row < count; row++) {
                line.setLength(0);
                line.append(row).append(',').append(customerId(row)).append(',').append(amount(row)).append(',')
                        .append(name(row)).append('\n');
                out.append(line);
            }
        }
    }
}
