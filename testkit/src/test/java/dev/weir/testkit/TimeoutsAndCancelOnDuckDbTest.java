package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** The timeout, cancel and lock-wait tests on embedded DuckDB. */
class TimeoutsAndCancelOnDuckDbTest extends TimeoutsAndCancelTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }

    @Override
    protected String slowQuery() {
        return "SELECT sum(hash(i)) AS n FROM range(1000000000000) t(i)";
    }

    @Override
    protected String holderHint() {
        return "process " + ProcessHandle.current().pid() + " on ";
    }
}
