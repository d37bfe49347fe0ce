package dev.weir.benchmarks;

import dev.weir.engine.Flow;
import dev.weir.engine.FlowProvider;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import java.util.List;

/**
 * The benchmark flows that {@code weir run --classpath weir-benchmarks.jar} can run: {@code pg-overhead},
 * the 60-task flow of {@link PgEngineOverheadBenchmark} (3 stages × 20 tasks of 1,000 rows), which
 * {@link StartupBenchmark} times as a whole process.
 */
public final class BenchmarkFlows implements FlowProvider {

    @Override
    public List<NamedFlow> flows() {
        return List.of(new NamedFlow() {
            @Override
            public String name() {
                return "pg-overhead";
            }

            @Override
            public String description() {
                return "the engine-overhead benchmark's flow: 3 stages x 20 tasks of 1,000 rows";
            }

            @Override
            public Flow create(WeirConfig config, InstanceConfig instance) {
                return PgEngineOverheadBenchmark.flow("1");
            }
        });
    }
}
