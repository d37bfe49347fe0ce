package dev.weir.examples.readme;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.data.Rows;
import java.util.Map;

/** The README's "sales" flow, with the orders made in memory and score's version given: its tests run it. */
final class ReadmeFlows {

    private ReadmeFlows() {
    }

    /** Each order with a score: twice its amount. */
    static Rows score(Rows orders) {
        Rows.Builder scored = Rows.builder("order_id", "score");
        orders.forEach(r -> scored.add(r.getLong("order_id"), r.getDouble("amount") * 2));
        return scored.build();
    }

    static Flow flow(String scoreVersion) {
        return Flow.define("sales", f -> {
            Stage raw = f.stage("raw");
            Ref orders = raw.task("load_orders").version("1.0")
                    .produces(ctx -> Table.of(Rows.builder("order_id", "amount").add(1L, 10.0).add(2L, -5.0).add(3L, 7.5)
                            .build(), "orders").primaryKey("order_id"))
                    .ref();
            Stage clean = f.stage("clean");
            Ref valid = clean.task("valid_orders")
                    .sql("SELECT * FROM {o} WHERE amount > 0", Map.of("o", orders))
                    .ref();
            clean.task("score").version(scoreVersion)
                    .input("orders", valid, Rows.class)
                    .produces(ctx -> Table.of(score(ctx.input("orders", Rows.class)), "scored"));
        });
    }
}
