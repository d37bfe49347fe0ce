package dev.weir.engine.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A small table as plain Java values, for tasks where Arrow vectors would be ceremony and for
 * tests. Immutable. Converts to and from Arrow: the column types come from the Arrow schema when
 * the rows were read from a store, or are inferred from the non-null values of each column: integers
 * of several widths make the widest, integers with floating-point numbers a double, decimals the largest
 * scale among them. A value its column's type cannot hold exactly (a long in an int column, 2.5 in an
 * integer column) is refused, not rounded.
 */
public final class Rows implements Iterable<Row> {

    private final Row.Columns columns;
    private final List<Row> rows;
    private final Schema schema; // null when the types are to be inferred

    private Rows(Row.Columns columns, List<Row> rows, Schema schema) {
        this.columns = columns;
        this.rows = List.copyOf(rows);
        this.schema = schema;
    }

    /** Starts a table with the given columns. */
    public static Builder builder(String... columns) {
        return new Builder(Row.Columns.of(Arrays.asList(columns)), null);
    }

    /** Starts a table with the given Arrow schema (names and types). */
    public static Builder builder(Schema schema) {
        return new Builder(Row.Columns.of(schema.getFields().stream().map(Field::getName).toList()), schema);
    }

    /** Reads every batch of {@code reader} into rows. The reader stays open. */
    public static Rows fromArrow(ArrowReader reader) {
        try {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            Builder builder = builder(root.getSchema());
            while (reader.loadNextBatch()) {
                builder.addAll(root);
            }
            return builder.build();
        } catch (java.io.IOException e) {
            // A store's failure inside keeps its place in the cause chain, where the engine looks for it.
            throw new java.io.UncheckedIOException("could not read Arrow batches: " + e.getMessage(), e);
        }
    }

    /** Copies the values of an in-memory Arrow table. */
    public static Rows fromArrow(ArrowTable table) {
        Builder builder = builder(table.schema());
        for (VectorSchemaRoot batch : table.batches()) {
            builder.addAll(batch);
        }
        return builder.build();
    }

    public List<String> columns() {
        return columns.names();
    }

    public int size() {
        return rows.size();
    }

    public Row get(int index) {
        return rows.get(index);
    }

    public List<Row> asList() {
        return rows;
    }

    public Stream<Row> stream() {
        return rows.stream();
    }

    @Override
    public Iterator<Row> iterator() {
        return rows.iterator();
    }

    /** These rows with every row replaced by {@code f(row)}; the columns and types stay. */
    public Rows map(Function<Row, Row> f) {
        return new Rows(columns, rows.stream().map(f).toList(), schema);
    }

    /** The rows for which {@code keep} holds. */
    public Rows filter(Predicate<Row> keep) {
        return new Rows(columns, rows.stream().filter(keep).toList(), schema);
    }

    /** The first {@code n} rows. */
    public Rows head(int n) {
        return new Rows(columns, rows.subList(0, Math.min(n, rows.size())), schema);
    }

    /** The Arrow schema of these rows (declared, or inferred from the values). */
    public Schema schema() {
        if (schema != null) {
            return schema;
        }
        List<Field> fields = new ArrayList<>();
        for (int c = 0; c < columns.names().size(); c++) {
            List<Object> values = new ArrayList<>();
            for (Row row : rows) {
                if (row.get(c) != null) {
                    values.add(row.get(c));
                }
            }
            fields.add(ArrowValues.fieldFor(columns.names().get(c), values));
        }
        return new Schema(fields);
    }

    /** A one-batch Arrow table of these rows; the caller owns it. */
    public ArrowTable toArrow(BufferAllocator allocator) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema(), allocator);
        try {
            root.allocateNew();
            List<FieldVector> vectors = root.getFieldVectors();
            for (int r = 0; r < rows.size(); r++) {
                for (int c = 0; c < vectors.size(); c++) {
                    ArrowValues.set(vectors.get(c), r, rows.get(r).get(c));
                }
            }
            root.setRowCount(rows.size());
            return ArrowTable.of(root);
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Rows other && other.columns.names().equals(columns.names()) && other.rows.equals(rows);
    }

    @Override
    public int hashCode() {
        return Objects.hash(columns.names(), rows);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("Rows").append(columns.names()).append(" (").append(rows.size())
                .append(" rows)");
        rows.stream().limit(10).forEach(r -> out.append("\n  ").append(r.values()));
        if (rows.size() > 10) {
            out.append("\n  …");
        }
        return out.toString();
    }

    /** Collects rows; {@link #build()} makes the immutable {@link Rows}. */
    public static final class Builder {
        private final Row.Columns columns;
        private final Schema schema;
        private final List<Row> rows = new ArrayList<>();

        private Builder(Row.Columns columns, Schema schema) {
            this.columns = columns;
            this.schema = schema;
        }

        public Builder add(Object... values) {
            rows.add(new Row(columns, Arrays.asList(values)));
            return this;
        }

        public Builder add(Row row) {
            rows.add(new Row(columns, row.values()));
            return this;
        }

        Builder addAll(VectorSchemaRoot batch) {
            for (int r = 0; r < batch.getRowCount(); r++) {
                rows.add(new Row(columns, ArrowValues.row(batch.getFieldVectors(), r)));
            }
            return this;
        }

        public Rows build() {
            return new Rows(columns, rows, schema);
        }
    }
}
