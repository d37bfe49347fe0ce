package com.example.flows;

import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.Row;
import dev.weir.engine.data.Rows;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code my-flow}: customers read from a CSV file in this jar, orders generated in Java (how many: the
 * parameter {@code orders}, {@code --param orders=50}), revenue per country in SQL inside the database,
 * and the best country picked in Java.
 */
public final class SalesFlow implements NamedFlow {

    /** Orders generated when no {@code --param orders=N} is given. */
    public static final int DEFAULT_ORDERS = 20;

    @Override
    public String name() {
        return "my-flow";
    }

    @Override
    public String description() {
        return "(user-flow) customers from a CSV, generated orders, revenue per country in SQL";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        return Flow.define("my-flow", f -> {
            Stage raw = f.stage("raw");
            Ref customers = raw.task("customers").version("1")           // bump when customers.csv changes
                    .produces(ctx -> Table.of(readCsv("/customers.csv"), "customers").primaryKey("customer_id"))
                    .ref();
            Ref orders = raw.task("orders").version("1")
                    .produces(ctx -> {
                        int count = ctx.attrs().hasPath("orders") ? ctx.attrs().getInt("orders") : DEFAULT_ORDERS;
                        return Table.of(generateOrders(count), "orders").primaryKey("order_id");
                    })
                    .ref();

            Stage report = f.stage("report");
            Ref revenue = report.task("revenue_by_country").sql("""
                    SELECT c.country, count(*) AS orders, sum(o.amount) AS revenue
                    FROM {orders} o JOIN {customers} c USING (customer_id)
                    GROUP BY c.country ORDER BY c.country""", Map.of("orders", orders, "customers", customers))
                    .ref();
            report.task("best_country").version("1")
                    .input("revenue", revenue, Rows.class)
                    .produces(ctx -> bestCountry(ctx.input("revenue", Rows.class)));
        });
    }

    /** {@code count} orders spread over the four customers: order i pays i * 10.5. */
    static Rows generateOrders(int count) {
        Rows.Builder rows = Rows.builder("order_id", "customer_id", "amount");
        for (long i = 1; i <= count; i++) {
            rows.add(i, i % 4 + 1, i * 10.5);
        }
        return rows.build();
    }

    /** The country with the most revenue, as a value output: {@code {"country": "US", "revenue": 1234.5}}. */
    static Map<String, Object> bestCountry(Rows revenue) {
        Row best = null;
        for (Row row : revenue) {
            if (best == null || ((Number) row.get("revenue")).doubleValue() > ((Number) best.get("revenue")).doubleValue()) {
                best = row;
            }
        }
        if (best == null) {
            throw new IllegalStateException("no revenue: report.revenue_by_country is empty");
        }
        return Map.of("country", best.get("country"), "revenue", ((Number) best.get("revenue")).doubleValue());
    }

    /** A CSV resource with a header line; customer_id becomes a long, the other columns stay strings. */
    static Rows readCsv(String resource) {
        try (InputStream in = SalesFlow.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is not in the jar");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            Rows.Builder rows = Rows.builder(reader.readLine().split(","));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    String[] cells = line.split(",");
                    rows.add(Long.parseLong(cells[0]), cells[1], cells[2]);
                }
            }
            return rows.build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
