package dev.weir.engine;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * A task output to materialize as a table: a payload plus the table's name, primary key and
 * indexes. The payload is an {@link ArrowTable}, a {@link VectorSchemaRoot} (one batch), an
 * {@link ArrowReader} (a stream, written batch by batch as it is read, e.g. straight out of another
 * database), {@link Rows}, or a lazy {@link Sql} query. Immutable; the engine takes ownership of Arrow
 * payloads and closes them once written.
 */
public final class Table {

    private final Object payload;
    private final String name;
    private final List<String> primaryKey;
    private final List<List<String>> indexes;
    private final Boolean inline;

    private Table(Object payload, String name, List<String> primaryKey, List<List<String>> indexes, Boolean inline) {
        this.payload = Objects.requireNonNull(payload, "payload is null");
        if (!(payload instanceof ArrowTable || payload instanceof VectorSchemaRoot || payload instanceof ArrowReader
                || payload instanceof Rows || payload instanceof Sql)) {
            throw new IllegalArgumentException("a Table holds an ArrowTable, a VectorSchemaRoot, an ArrowReader, Rows or"
                    + " Sql, not " + payload.getClass().getName());
        }
        if (name != null && name.isBlank()) {
            throw new IllegalArgumentException("a table name cannot be blank");
        }
        this.name = name;
        this.primaryKey = List.copyOf(primaryKey);
        this.indexes = indexes.stream().map(List::copyOf).toList();
        this.inline = inline;
    }

    /** A table named after the task output it is returned for. */
    public static Table of(Object payload) {
        return new Table(payload, null, List.of(), List.of(), null);
    }

    public static Table of(Object payload, String name) {
        return new Table(payload, Objects.requireNonNull(name, "name is null"), List.of(), List.of(), null);
    }

    public Table name(String tableName) {
        return new Table(payload, Objects.requireNonNull(tableName, "name is null"), primaryKey, indexes, inline);
    }

    public Table primaryKey(String... columns) {
        return new Table(payload, name, Arrays.asList(columns), indexes, inline);
    }

    public Table index(String... columns) {
        List<List<String>> more = new ArrayList<>(indexes);
        more.add(Arrays.asList(columns));
        return new Table(payload, name, primaryKey, more, inline);
    }

    /** Hints that the table may be handed to its consumers in memory instead of through the store. */
    public Table inline() {
        return new Table(payload, name, primaryKey, indexes, Boolean.TRUE);
    }

    /** Hints that the table must go through the store even where the instance inlines by default. */
    public Table notInline() {
        return new Table(payload, name, primaryKey, indexes, Boolean.FALSE);
    }

    /** This table's name, keys and hints with another payload. */
    public Table withPayload(Object otherPayload) {
        return new Table(otherPayload, name, primaryKey, indexes, inline);
    }

    public Object payload() {
        return payload;
    }

    /** The table's name, or null when it takes its task output's name. */
    public String name() {
        return name;
    }

    public List<String> primaryKeyColumns() {
        return primaryKey;
    }

    public List<List<String>> indexes() {
        return indexes;
    }

    /** The inline hint: true, false, or null when not given. */
    public Boolean inlineHint() {
        return inline;
    }

    @Override
    public String toString() {
        return "Table[" + (name == null ? "<unnamed>" : name) + ", " + payload.getClass().getSimpleName() + "]";
    }
}
