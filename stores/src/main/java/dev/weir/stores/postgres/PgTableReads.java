package dev.weir.stores.postgres;

import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.TableLocation;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * Reading tables and asking about them: a table's rows as Arrow by binary COPY (a large table in page
 * ranges over several connections, {@link PgCopyReader}), a query's result through a cursor
 * ({@link PgArrowReader}), whether a table exists, a schema's tables, row counts and fingerprints.
 *
 * <p>Thread-safe: every call runs on a connection of its own.
 */
final class PgTableReads {

    private final PgPool pool;
    private final Object store;

    /** The most connections one read of a large table uses, and the pages each reads per COPY. */
    private final int readConnections;
    private final int readRangePages;

    PgTableReads(PgPool pool, Object store, int readConnections, int readRangePages) {
        this.pool = pool;
        this.store = store;
        this.readConnections = readConnections;
        this.readRangePages = readRangePages;
    }

    ArrowReader readArrow(TableLocation source, BufferAllocator allocator, ReadOptions options) {
        String columns = options.columns().isEmpty() ? "*" : PgIdentifiers.columnList(options.columns());
        return PgCopyReader.open(pool, store, new PgCopyReader.TableRead(columns, source,
                PgIdentifiers.qualified(source), options.where(), readConnections, readRangePages), allocator,
                options.batchRows());
    }

    ArrowReader query(String sql, BufferAllocator allocator) {
        return PgArrowReader.open(pool, store, sql, allocator, ReadOptions.DEFAULT_BATCH_ROWS);
    }

    boolean exists(TableLocation location) {
        return PgTx.run(pool, store, "look up table " + location, t -> !t.query(
                PgCatalog.RELATION, rs -> true, location.schema(), location.table()).isEmpty());
    }

    List<String> listTables(String schema) {
        return PgTx.run(pool, store, "list the tables of schema " + schema,
                t -> t.query(PgCatalog.RELATIONS, rs -> rs.getString(1), schema));
    }

    long rowCount(TableLocation location) {
        return PgTx.run(pool, store, "count the rows of " + location,
                t -> t.query("SELECT count(*) FROM " + PgIdentifiers.qualified(location), rs -> rs.getLong(1)).get(0));
    }

    /**
     * PostgreSQL's {@code hashtextextended} of the grouping columns' text form: stable across sessions
     * and servers of one major version.
     */
    static String bucketExpression(List<String> columns, int buckets) {
        if (buckets < 1 || columns.isEmpty()) {
            throw new IllegalArgumentException("a bucket expression needs columns and at least one bucket");
        }
        String row = String.join(" || chr(1) || ", columns.stream()
                .map(c -> "coalesce(" + PgIdentifiers.quote(c) + "::text, chr(2))").toList());
        // mod of a negative hash is negative; shift it into 0..buckets-1 (abs() would overflow on the minimum)
        String hash = "mod(hashtextextended(" + row + ", 0), " + buckets + ")";
        return "CAST(mod(" + hash + " + " + buckets + ", " + buckets + ") AS integer)";
    }

    /**
     * The row count and two sums of {@code hashtextextended} over the row's text form (seeds 0 and 1),
     * as numerics: sums are order-independent and, unlike {@code bit_xor}, do not cancel out for
     * duplicate rows.
     */
    String fingerprint(TableLocation table, String where) {
        String sql = "SELECT concat_ws(':', count(*), coalesce(sum(hashtextextended(weir_row::text, 0)), 0),"
                + " coalesce(sum(hashtextextended(weir_row::text, 1)), 0)) FROM " + PgIdentifiers.qualified(table)
                + " AS weir_row" + (where == null ? "" : " WHERE (" + where + ")");
        return PgTx.run(pool, store, "fingerprint the rows of " + table,
                t -> t.query(sql, rs -> rs.getString(1)).get(0));
    }
}
