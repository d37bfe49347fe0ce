package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.MemoryBudgetException;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskFailedException;
import dev.weir.engine.TaskFunction;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.Memory;
import dev.weir.engine.data.Rows;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.Test;

/**
 * The {@code memory} budgets bound a run's Arrow memory as a tree (run, task, chunk): a task or chunk
 * that would go over its budget fails at once, naming flow, stage, task, chunk, the budget and its key,
 * and is not retried; within its budget the same task runs. Runs on every store:
 * {@link MemoryBudgetOnDuckDbTest} and {@link MemoryBudgetOnPostgresTest}.
 */
abstract class MemoryBudgetTest extends FlowKitTest {

    private static final long MIB = 1L << 20;

    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);

    /** 5,000 orders of 50 customers, in the store. */
    private static Rows orders() {
        Rows.Builder b = Rows.builder("order_id", "customer_id");
        for (long i = 0; i < 5_000; i++) {
            b.add(i, i % 50);
        }
        return b.build();
    }

    /**
     * Stage {@code out}, task {@code score}: reads the orders, holds {@code extra} bytes of Arrow memory of its
     * allocator while it computes, and returns the orders; batched by {@code batched} unless null.
     */
    private static Flow flow(Batched batched, long extra, AtomicInteger calls) {
        return Flow.define("budgets", f -> {
            Ref orders = f.stage("raw").task("orders").produces(ctx -> Table.of(orders(), "orders")).ref();
            Stage out = f.stage("out");
            TaskFunction score = ctx -> {
                calls.incrementAndGet();
                Rows in = ctx.input("orders", Rows.class);
                BufferAllocator allocator = ctx.allocator();
                try (ArrowBuf held = allocator.buffer(extra)) {
                    held.setZero(0, extra);
                }
                return Table.of(in, "scored");
            };
            var task = out.task("score").input("orders", orders, Rows.class);
            if (batched != null) {
                task = task.batched(batched);
            }
            task.produces(score);
        });
    }

    private static MemoryBudgetException budgetError(FlowRunRecord run) {
        assertFalse(run.successful(), "the run over its budget failed");
        assertEquals(java.util.Set.of("score"), run.failed());
        Throwable failure = run.result().failure().orElseThrow();
        assertInstanceOf(TaskFailedException.class, failure);
        return assertInstanceOf(MemoryBudgetException.class, failure.getCause(), failure::toString);
    }

    @Test
    void aChunkOverItsBudgetFailsItsTaskNamingTheChunkAndTheKeyWithoutRetries() {
        AtomicInteger calls = new AtomicInteger();
        FlowRunRecord run = kit.run(flow(Batched.hashOf("customer_id", 4).computeParallelism(1), 8 * MIB, calls),
                mini.withMemory(new Memory(64 * MIB, 32 * MIB, 4 * MIB)));
        MemoryBudgetException budget = budgetError(run);
        assertEquals("memory.chunk", budget.key());
        assertEquals(4 * MIB, budget.limit());
        String message = run.result().failure().orElseThrow().getMessage();
        assertTrue(message.startsWith("flow 'budgets', stage 'out', task 'score' failed: chunk "), message);
        assertTrue(message.contains("would go over memory.chunk = 4 MiB (" + mini.source() + "); raise it"), message);
        assertEquals(1, calls.get(), "the chunk is not retried, and no other chunk starts after it failed");
    }

    @Test
    void chunksWithinTheirBudgetRun() {
        AtomicInteger calls = new AtomicInteger();
        FlowRunRecord run = kit.run(flow(Batched.hashOf("customer_id", 4), 2 * MIB, calls),
                mini.withMemory(new Memory(64 * MIB, 32 * MIB, 4 * MIB)));
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(5_000, run.result().get(new Ref("out", "score", "scored"), Rows.class).size());
        assertEquals(4, calls.get());
    }

    @Test
    void theChunksOfATaskTogetherStayWithinTheTaskBudget() {
        // two chunks of 4 MiB each fit their chunk budget, but not the task's 5 MiB at once; the first chunk
        // (which computes alone, to be measured) is small, so that the two others are let in together
        AtomicInteger calls = new AtomicInteger();
        java.util.concurrent.CyclicBarrier both = new java.util.concurrent.CyclicBarrier(2);
        Flow flow = Flow.define("budgets", f -> {
            Ref orders = f.stage("raw").task("orders").produces(ctx -> Table.of(orders(), "orders")).ref();
            f.stage("out").task("score").input("orders", orders, Rows.class)
                    .batched(Batched.hashOf("customer_id", 3).computeParallelism(2)).produces(ctx -> {
                        Rows in = ctx.input("orders", Rows.class);
                        if (calls.incrementAndGet() == 1) {
                            return Table.of(in, "scored");
                        }
                        try (ArrowBuf first = ctx.allocator().buffer(2 * MIB)) {
                            both.await(30, java.util.concurrent.TimeUnit.SECONDS); // both chunks hold 2 MiB
                            try (ArrowBuf more = ctx.allocator().buffer(2 * MIB)) {
                                more.setZero(0, 2 * MIB);
                            }
                        }
                        return Table.of(in, "scored");
                    });
        });
        FlowRunRecord run = kit.run(flow, mini.withMemory(new Memory(64 * MIB, 5 * MIB, 5 * MIB)));
        MemoryBudgetException budget = budgetError(run);
        assertEquals("memory.task", budget.key());
        assertTrue(run.result().failure().orElseThrow().getMessage().contains("would go over memory.task = 5 MiB"),
                run.result().failure().orElseThrow().getMessage());
    }

    @Test
    void aBatchedTaskKeepsOnlyAsManyChunksComputingAsItsBudgetHolds() {
        // each chunk holds 4 MiB for a while: three at once (computeParallelism) would not fit in 12 MiB
        AtomicInteger computing = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Flow flow = Flow.define("budgets", f -> {
            Ref orders = f.stage("raw").task("orders").produces(ctx -> Table.of(orders(), "orders")).ref();
            f.stage("out").task("score").input("orders", orders, Rows.class)
                    .batched(Batched.hashOf("customer_id", 6).computeParallelism(3)).produces(ctx -> {
                        most.accumulateAndGet(computing.incrementAndGet(), Math::max);
                        try (ArrowBuf held = ctx.allocator().buffer(4 * MIB)) {
                            held.setZero(0, 4 * MIB);
                            Thread.sleep(300);
                            return Table.of(ctx.input("orders", Rows.class), "scored");
                        } finally {
                            computing.decrementAndGet();
                        }
                    });
        });
        FlowRunRecord run = kit.run(flow, mini.withMemory(new Memory(64 * MIB, 12 * MIB, 12 * MIB)));
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(5_000, run.result().get(new Ref("out", "score", "scored"), Rows.class).size());
        assertTrue(most.get() <= 2, "at most two chunks of 4 MiB computed at once, saw " + most.get());
    }

    @Test
    void anUnbatchedTaskOverItsBudgetFailsNamingTheKey() {
        AtomicInteger calls = new AtomicInteger();
        FlowRunRecord run = kit.run(flow(null, 8 * MIB, calls),
                mini.withMemory(new Memory(64 * MIB, 4 * MIB, 4 * MIB)));
        MemoryBudgetException budget = budgetError(run);
        assertEquals("memory.task", budget.key());
        String message = run.result().failure().orElseThrow().getMessage();
        assertTrue(message.startsWith("flow 'budgets', stage 'out', task 'score' failed: the task's Arrow memory"),
                message);
        assertEquals(1, calls.get(), "not retried");
    }

    @Test
    void aRunOverItsBudgetFailsNamingTheRunKey() {
        AtomicInteger calls = new AtomicInteger();
        FlowRunRecord run = kit.run(flow(null, 8 * MIB, calls),
                mini.withMemory(new Memory(6 * MIB, 6 * MIB, 6 * MIB)).withRetry(
                        new InstanceConfig.RetryPolicy(3, java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(2))));
        MemoryBudgetException budget = budgetError(run);
        assertTrue(budget.key().equals("memory.task") || budget.key().equals("memory.run"), budget.key());
        assertEquals(1, calls.get(), "not retried");
    }
}
