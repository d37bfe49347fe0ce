package dev.weir.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.MemoryBudgetException;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.Memory;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;

/** Which refusals of memory become a {@link MemoryBudgetException}, and that none of them is retried. */
class MemoryBudgetsTest {

    private static final Memory BUDGETS = new Memory(64 << 20, 16 << 20, 1 << 20);

    private static InstanceConfig instance() {
        StoreSettings store = new StoreSettings("mini", "mini", "duckdb", "duckdb", ConfigFactory.empty(), Path.of("w"),
                "test");
        return new InstanceConfig("p", "mini", "mini", store, Map.of("duckdb", store), Path.of("b"), Path.of("w"),
                InstanceConfig.CacheValidation.NORMAL, new InstanceConfig.Orchestration(
                        InstanceConfig.Orchestration.Engine.SEQUENTIAL, 1), false, InstanceConfig.InlineMode.DEFAULT_FALSE,
                Duration.ofMinutes(1), InstanceConfig.RetryPolicy.DEFAULT, ConfigFactory.empty(), false,
                "weir.yaml: instances.mini").withMemory(BUDGETS);
    }

    @Test
    void aChunkAllocatorAtItsLimitNamesMemoryChunk() {
        try (RootAllocator root = new RootAllocator();
             BufferAllocator run = MemoryBudgets.run(root, "r1", BUDGETS);
             BufferAllocator task = MemoryBudgets.task(run, "score", BUDGETS);
             BufferAllocator chunk = MemoryBudgets.chunk(task, "score-3-1", BUDGETS)) {
            OutOfMemoryException refused = assertThrows(OutOfMemoryException.class, () -> chunk.buffer(2 << 20));
            // wrapped as a store or user code would wrap it
            Throwable explained = MemoryBudgets.explain(new StoreException("cannot read", refused), instance());
            MemoryBudgetException budget = assertInstanceOf(MemoryBudgetException.class, explained);
            assertEquals("memory.chunk", budget.key());
            assertEquals(1 << 20, budget.limit());
            assertTrue(budget.getMessage().contains("would go over memory.chunk = 1 MiB (weir.yaml: instances.mini)"),
                    budget.getMessage());
            assertFalse(Failures.isTransient(new StoreException("cannot read", null, true, refused)),
                    "a refusal for memory is never transient, whatever wraps it");
        }
    }

    @Test
    void aTaskAllocatorAtItsLimitNamesMemoryTaskEvenWhenAChunkAsked() {
        try (RootAllocator root = new RootAllocator();
             BufferAllocator run = MemoryBudgets.run(root, "r1", BUDGETS);
             BufferAllocator task = MemoryBudgets.task(run, "score", BUDGETS);
             BufferAllocator chunk = MemoryBudgets.chunk(task, "score-3-1", BUDGETS);
             var held = task.buffer(15 << 20)) {
            OutOfMemoryException refused = assertThrows(OutOfMemoryException.class, () -> chunk.buffer(1 << 20));
            assertEquals("memory.task", ((MemoryBudgetException) MemoryBudgets.explain(refused, instance())).key());
        }
    }

    @Test
    void aLimitOfTheTasksOwnAllocatorIsLeftAsItIs() {
        try (RootAllocator root = new RootAllocator();
             BufferAllocator mine = root.newChildAllocator("my-own", 0, 1024)) {
            OutOfMemoryException refused = assertThrows(OutOfMemoryException.class, () -> mine.buffer(4096));
            assertSame(refused, MemoryBudgets.explain(refused, instance()));
        }
    }

    @Test
    void exhaustedDirectMemoryNamesTheJvmLimitAndIsNotRetried() {
        OutOfMemoryError error = new OutOfMemoryError(
                "Cannot reserve 4194304 bytes of direct buffer memory (allocated: 265276209, limit: 268435456)");
        MemoryBudgetException budget = assertInstanceOf(MemoryBudgetException.class,
                MemoryBudgets.explain(new RuntimeException(error), instance()));
        assertTrue(budget.getMessage().startsWith("the JVM's direct memory, where Arrow's buffers live, is exhausted"
                + " (-XX:MaxDirectMemorySize = "), budget.getMessage());
        assertFalse(Failures.isTransient(new StoreException("lost", null, true, error)));
        OutOfMemoryError heap = new OutOfMemoryError("Java heap space");
        assertSame(heap, MemoryBudgets.explain(heap, instance()), "heap exhaustion is not a budget of Arrow's");
    }
}
