package dev.weir.stores;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;

/** Arrow data for store tests: readers over given batches, and rows read back as plain values. */
public final class ArrowFixtures {

    private ArrowFixtures() {
    }

    /** Every type a store must round-trip, one column each. */
    public static final Schema ALL_TYPES = new Schema(List.of(
            Field.nullable("i8", new ArrowType.Int(8, true)),
            Field.nullable("i16", new ArrowType.Int(16, true)),
            Field.nullable("i32", new ArrowType.Int(32, true)),
            Field.nullable("i64", new ArrowType.Int(64, true)),
            Field.nullable("f32", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
            Field.nullable("f64", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
            Field.nullable("dec", new ArrowType.Decimal(12, 3, 128)),
            Field.nullable("flag", ArrowType.Bool.INSTANCE),
            Field.nullable("text", ArrowType.Utf8.INSTANCE),
            Field.nullable("day", new ArrowType.Date(DateUnit.DAY)),
            Field.nullable("ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
            Field.nullable("tstz", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
            Field.nullable("bin", ArrowType.Binary.INSTANCE)));

    /** Two rows of values at the edges of their types, then a row of nulls. */
    public static void fillAllTypes(VectorSchemaRoot root) {
        root.allocateNew();
        ((TinyIntVector) root.getVector("i8")).setSafe(0, Byte.MIN_VALUE);
        ((TinyIntVector) root.getVector("i8")).setSafe(1, Byte.MAX_VALUE);
        ((SmallIntVector) root.getVector("i16")).setSafe(0, Short.MIN_VALUE);
        ((SmallIntVector) root.getVector("i16")).setSafe(1, Short.MAX_VALUE);
        ((IntVector) root.getVector("i32")).setSafe(0, Integer.MIN_VALUE);
        ((IntVector) root.getVector("i32")).setSafe(1, Integer.MAX_VALUE);
        ((BigIntVector) root.getVector("i64")).setSafe(0, Long.MIN_VALUE);
        ((BigIntVector) root.getVector("i64")).setSafe(1, Long.MAX_VALUE);
        ((Float4Vector) root.getVector("f32")).setSafe(0, 1.5f);
        ((Float4Vector) root.getVector("f32")).setSafe(1, -0.25f);
        ((Float8Vector) root.getVector("f64")).setSafe(0, Math.PI);
        ((Float8Vector) root.getVector("f64")).setSafe(1, -1e300);
        ((DecimalVector) root.getVector("dec")).setSafe(0, new BigDecimal("123456789.123"));
        ((DecimalVector) root.getVector("dec")).setSafe(1, new BigDecimal("-0.001"));
        ((BitVector) root.getVector("flag")).setSafe(0, 1);
        ((BitVector) root.getVector("flag")).setSafe(1, 0);
        ((VarCharVector) root.getVector("text")).setSafe(0, "Zürich ✓".getBytes(StandardCharsets.UTF_8));
        ((VarCharVector) root.getVector("text")).setSafe(1, "".getBytes(StandardCharsets.UTF_8));
        ((DateDayVector) root.getVector("day")).setSafe(0, (int) LocalDate.of(1969, 12, 31).toEpochDay());
        ((DateDayVector) root.getVector("day")).setSafe(1, (int) LocalDate.of(2024, 2, 29).toEpochDay());
        ((TimeStampMicroVector) root.getVector("ts")).setSafe(0, 1_700_000_000_123_456L);
        ((TimeStampMicroVector) root.getVector("ts")).setSafe(1, -1L);
        ((TimeStampMicroTZVector) root.getVector("tstz")).setSafe(0, 1_700_000_000_654_321L);
        ((TimeStampMicroTZVector) root.getVector("tstz")).setSafe(1, 0L);
        ((VarBinaryVector) root.getVector("bin")).setSafe(0, new byte[] {0, 1, (byte) 0xff});
        ((VarBinaryVector) root.getVector("bin")).setSafe(1, new byte[0]);
        for (FieldVector vector : root.getFieldVectors()) {
            vector.setNull(2);
        }
        root.setRowCount(3);
    }

    /** Schema of a simple keyed table. */
    public static final Schema ID_NAME = new Schema(List.of(
            Field.nullable("id", new ArrowType.Int(64, true)),
            Field.nullable("name", ArrowType.Utf8.INSTANCE)));

    /** A reader over {@code batches} batches of {@code rows} rows of (id, "name-id"), ids from {@code first}. */
    public static ArrowReader idNames(BufferAllocator allocator, long first, int batches, int rows) {
        return stream(allocator, ID_NAME, batches, (root, batch) -> {
            root.allocateNew();
            for (int i = 0; i < rows; i++) {
                long id = first + (long) batch * rows + i;
                ((BigIntVector) root.getVector("id")).setSafe(i, id);
                ((VarCharVector) root.getVector("name")).setSafe(i, ("name-" + id).getBytes(StandardCharsets.UTF_8));
            }
            root.setRowCount(rows);
        });
    }

    /**
     * A reader over {@code batches} batches of {@code schema}, each filled by {@code fill(root,
     * batchIndex)}. The batches are serialized first, so the reader owns its buffers; caller closes it.
     */
    public static ArrowReader stream(BufferAllocator allocator, Schema schema, int batches,
                                     BiConsumer<VectorSchemaRoot, Integer> fill) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
             ArrowStreamWriter writer = new ArrowStreamWriter(root, null, bytes)) {
            writer.start();
            for (int batch = 0; batch < batches; batch++) {
                fill.accept(root, batch);
                writer.writeBatch();
            }
            writer.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ArrowStreamReader(new ByteArrayInputStream(bytes.toByteArray()), allocator);
    }

    /**
     * A reader passing on the first {@code batches} batches of {@code delegate} and then failing, as a
     * data source that breaks mid-stream. Closing it closes the delegate.
     */
    public static ArrowReader failingAfter(BufferAllocator allocator, ArrowReader delegate, int batches) {
        return new ArrowReader(allocator) {
            private int loaded;

            @Override
            public VectorSchemaRoot getVectorSchemaRoot() throws IOException {
                return delegate.getVectorSchemaRoot();
            }

            @Override
            public boolean loadNextBatch() throws IOException {
                if (loaded++ == batches) {
                    throw new IOException("the data source failed after " + batches + " batch(es)");
                }
                return delegate.loadNextBatch();
            }

            @Override
            public long bytesRead() {
                return delegate.bytesRead();
            }

            @Override
            protected void closeReadSource() throws IOException {
                delegate.close();
            }

            @Override
            protected Schema readSchema() throws IOException {
                return delegate.getVectorSchemaRoot().getSchema();
            }
        };
    }

    /** Reads {@code reader} to its end (without closing it): the rows as plain Java values. */
    public static List<List<Object>> rows(ArrowReader reader) {
        List<List<Object>> rows = new ArrayList<>();
        try {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            while (reader.loadNextBatch()) {
                for (int i = 0; i < root.getRowCount(); i++) {
                    List<Object> row = new ArrayList<>();
                    for (FieldVector vector : root.getFieldVectors()) {
                        row.add(plain(vector.getObject(i)));
                    }
                    rows.add(row);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rows;
    }

    /** Reads {@code reader} to its end: the row count of each batch. */
    public static List<Integer> batchSizes(ArrowReader reader) {
        List<Integer> sizes = new ArrayList<>();
        try {
            while (reader.loadNextBatch()) {
                sizes.add(reader.getVectorSchemaRoot().getRowCount());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sizes;
    }

    private static Object plain(Object value) {
        if (value instanceof Text text) {
            return text.toString();
        }
        if (value instanceof byte[] bytes) {
            return "0x" + HexFormat.of().formatHex(bytes);
        }
        return value;
    }
}
