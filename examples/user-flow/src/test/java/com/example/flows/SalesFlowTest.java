package com.example.flows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Rows;
import dev.weir.testkit.FlowRunRecord;
import dev.weir.testkit.FlowTestKit;
import dev.weir.testkit.WeirTest;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

@WeirTest
class SalesFlowTest {

    private static Flow flow(InstanceConfig instance) {
        return new SalesFlow().create(null, instance);
    }

    @Test
    void computesRevenuePerCountryAndCachesASecondRun(FlowTestKit kit, InstanceConfig mini) {
        FlowRunRecord first = kit.run(flow(mini), mini);
        assertTrue(first.successful(), () -> "run failed: " + first.result().failure());
        Rows revenue = first.result().get(Ref.of("report", "revenue_by_country"), Rows.class);
        assertEquals(3, revenue.size());                                  // NL, UK, US
        // 20 orders, order i pays i * 10.5 and belongs to customer i % 4 + 1; customers 2 and 4 live in the US.
        double us = 0;
        for (long i = 1; i <= SalesFlow.DEFAULT_ORDERS; i++) {
            us += i % 4 + 1 == 2 || i % 4 + 1 == 4 ? i * 10.5 : 0;
        }
        assertEquals(Map.of("country", "US", "revenue", us),
                first.result().get(Ref.of("report", "best_country"), Object.class));

        FlowRunRecord again = kit.run(flow(mini), mini);
        assertEquals(Set.of(), again.ran());
        assertEquals(Set.of("customers", "orders", "revenue_by_country", "best_country"), again.cacheHits());
    }

    @Test
    void aParameterIsPartOfTheKey(FlowTestKit kit) {
        InstanceConfig twenty = kit.instance("mini");
        InstanceConfig forty = kit.instance("mini", ConfigFactory.parseMap(Map.of("orders", 40)));
        assertTrue(kit.run(flow(twenty), twenty).successful());
        FlowRunRecord more = kit.run(flow(forty), forty);
        assertTrue(more.ran().contains("orders"), () -> "orders should rerun with 40 orders: " + more.ran());
        assertEquals(40L, more.result().get(Ref.of("raw", "orders"), Rows.class).size());
    }
}
