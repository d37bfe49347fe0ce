package dev.weir.examples;

import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskHandle;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.Rows;
import java.io.PrintStream;
import java.util.Map;

/**
 * Lazy SQL tasks and a raw SQL script. {@code orders} comes from Java; a raw SQL script creates two
 * reference tables at once ({@code customers}, {@code regions}); lazy tasks filter and aggregate
 * inside the database, cached by their rendered query: change a query and only it and its consumers
 * rerun.
 */
public final class LazySqlFlow implements NamedFlow {

    private Ref revenue;

    @Override
    public String name() {
        return "lazy-sql";
    }

    @Override
    public String description() {
        return "lazy SQL tasks cached by their query, and a raw SQL script creating several tables";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        return Flow.define("lazy-sql", f -> {
            Stage raw = f.stage("raw");
            Ref orders = raw.task("orders").version("1").produces(ctx -> {
                Rows.Builder rows = Rows.builder("order_id", "customer_id", "amount");
                for (long i = 1; i <= 12; i++) {
                    rows.add(i, i % 4 + 1, i % 5 == 0 ? -10.0 : i * 12.5);
                }
                return Table.of(rows.build(), "orders").primaryKey("order_id");
            }).ref();
            TaskHandle reference = raw.task("reference_data").rawSql("""
                    CREATE TABLE {out}."regions" AS
                        SELECT * FROM (VALUES (1, 'north'), (2, 'south')) AS r(region_id, region);
                    CREATE TABLE {out}."customers" AS
                        SELECT * FROM (VALUES (1, 'Ada', 1), (2, 'Grace', 2), (3, 'Edsger', 1), (4, 'Barbara', 2))
                        AS c(customer_id, name, region_id);
                    """, Map.of());

            Stage report = f.stage("report");
            Ref valid = report.task("valid_orders")
                    .sql("SELECT * FROM {orders} WHERE amount > 0", Map.of("orders", orders)).ref();
            revenue = report.task("revenue_by_region").sql("""
                    SELECT r.region, count(*) AS orders, sum(o.amount) AS revenue
                    FROM {valid} o JOIN {customers} c USING (customer_id) JOIN {regions} r USING (region_id)
                    GROUP BY r.region ORDER BY r.region""",
                    Map.of("valid", valid, "customers", reference.ref("customers"), "regions", reference.ref("regions")))
                    .ref();
        });
    }

    @Override
    public void show(Result result, InstanceConfig instance, PrintStream out) {
        Rows rows = result.get(revenue, Rows.class);
        if (rows.size() != 2) {
            throw new IllegalStateException("revenue_by_region should have 2 regions, has " + rows);
        }
        out.println("report.revenue_by_region:");
        rows.forEach(r -> out.println("  " + r.asMap()));
    }
}
