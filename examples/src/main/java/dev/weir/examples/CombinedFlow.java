package dev.weir.examples;

import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskContext;
import dev.weir.engine.combine.SourceStream;
import dev.weir.engine.combine.TaskSpec;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.duckdb.DuckDBResultSet;

/**
 * A migration as one combined task (PIN-5): {@code read_orders} streams the orders out of another
 * database (a separate DuckDB file, standing for the operational database) as Arrow batches, and
 * {@code write_orders} writes them into the instance's table store. Fused into {@code migrate_orders},
 * they run in one call with nothing landed in between, and the pipeline sees one task: one cache entry,
 * one line in the report. The two specs stay reusable: any source spec combines with any sink spec.
 * A lazy task then reports on the migrated table like on any other.
 *
 * <p>The source database is created in the instance's work directory on first use.
 */
public final class CombinedFlow implements NamedFlow {

    static final int ORDERS = 50_000;

    private Ref orders;
    private Ref revenue;

    @Override
    public String name() {
        return "combined";
    }

    @Override
    public String description() {
        return "a migration as one combined task: stream orders out of another database into the store";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        Path sourceFile = seedSource(instance.workDir().resolve("orders-source.duckdb"));
        TaskSpec readOrders = TaskSpec.named("read_orders").version("1")
                .cache(ctx -> Files.getLastModifiedTime(sourceFile).toMillis())   // a changed source reruns it
                .produces(ctx -> streamOrders(ctx, sourceFile));
        TaskSpec writeOrders = TaskSpec.named("write_orders").version("1").takes("orders")
                .produces(ctx -> Table.of(ctx.input("orders", ArrowReader.class),
                        "orders").primaryKey("order_id"));
        return Flow.define("combined", f -> {
            Stage raw = f.stage("raw");
            orders = raw.task("migrate_orders").combine(readOrders, writeOrders).ref();
            Stage report = f.stage("report");
            revenue = report.task("top_customers").sql("""
                    SELECT customer_id, count(*) AS orders, sum(amount) AS revenue
                    FROM {orders} GROUP BY customer_id ORDER BY revenue DESC, customer_id LIMIT 3""",
                    Map.of("orders", orders)).ref();
        });
    }

    /** The source: a query's result streamed as Arrow batches; closing the stream closes the connection. */
    private static ArrowReader streamOrders(TaskContext ctx, Path sourceFile) throws SQLException {
        Properties readOnly = new Properties();
        readOnly.setProperty("duckdb.read_only", "true");
        Connection connection = DriverManager.getConnection("jdbc:duckdb:" + sourceFile, readOnly);
        try {
            Statement statement = connection.createStatement();
            ResultSet rows = statement.executeQuery("SELECT order_id, customer_id, amount FROM orders ORDER BY order_id");
            ArrowReader batches = (ArrowReader) rows.unwrap(DuckDBResultSet.class).arrowExportStream(ctx.allocator(), 8192);
            return SourceStream.of(ctx.allocator(), batches, rows, statement, connection);
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    private static Path seedSource(Path file) {
        if (Files.exists(file)) {
            return file;
        }
        try {
            Files.createDirectories(file.getParent());
            try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE orders AS SELECT range AS order_id, range % 97 AS customer_id,"
                        + " round((range % 1000) * 0.25, 2)::DOUBLE AS amount FROM range(" + ORDERS + ")");
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the example's source database " + file, e);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the example's source database " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void show(Result result, InstanceConfig instance, PrintStream out) {
        Rows top = result.get(revenue, Rows.class);
        long migrated = result.task("migrate_orders").orElseThrow().rows();
        if (migrated != ORDERS || top.size() != 3) {
            throw new IllegalStateException("migrate_orders wrote " + migrated + " rows (expected " + ORDERS
                    + ") and top_customers has " + top.size() + " rows (expected 3)");
        }
        out.println("raw.orders: " + migrated + " rows migrated in one combined task (read_orders + write_orders)");
        out.println("report.top_customers:");
        top.forEach(r -> out.println("  " + r.asMap()));
    }
}
