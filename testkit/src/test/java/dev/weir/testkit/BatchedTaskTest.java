package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.batch.Chunk;
import dev.weir.engine.batch.ChunkPlanning;
import dev.weir.engine.batch.InvocationHook;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Row;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.StoreException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Batched tasks (pipedag #205): chunks read only their rows, run in parallel, and make one output.
 * Runs on every store: {@link BatchedTaskOnDuckDbTest} and {@link BatchedTaskOnPostgresTest}.
 */
abstract class BatchedTaskTest extends FlowKitTest {

    /** The instance the tests run on, in {@code kit}. */
    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);



    static Rows orders(int n) {
        Rows.Builder b = Rows.builder("order_id", "customer_id", "amount");
        for (long i = 0; i < n; i++) {
            b.add(i, i % 97, (double) (i % 13));
        }
        return b.build();
    }

    static Rows score(Rows in) {
        Rows.Builder b = Rows.builder("order_id", "customer_id", "score");
        for (Row r : in) {
            b.add(r.get("order_id"), r.get("customer_id"), r.getDouble("amount") * 2);
        }
        return b.build();
    }

    interface ChunkSpy {
        void seen(Rows chunk) throws Exception;
    }

    static Flow scored(InvocationHook hook, ChunkSpy spy) {
        return Flow.define("batched", f -> {
            Stage raw = f.stage("raw");
            Ref orders = raw.task("orders").version("1").produces(ctx -> Table.of(orders(10_000), "orders")).ref();
            Stage out = f.stage("out");
            out.task("score").version("1").input("orders", orders, Rows.class).batched(hook).produces(ctx -> {
                Rows chunk = ctx.input("orders", Rows.class);
                spy.seen(chunk);
                return Table.of(score(chunk), "scores").primaryKey("order_id");
            });
        });
    }

    @Test
    void hashChunksEachReadOnlyTheirGroupsAndTogetherMakeTheWholeOutput() {
        Map<Long, Integer> chunkOfCustomer = new ConcurrentHashMap<>();
        AtomicInteger chunkCalls = new AtomicInteger();
        FlowRunRecord run = kit.run(scored(Batched.hashOf("customer_id", 8), chunk -> {
            int call = chunkCalls.incrementAndGet();
            for (Row r : chunk) {
                Integer before = chunkOfCustomer.putIfAbsent(r.getLong("customer_id"), call);
                if (before != null && before != call) {
                    throw new AssertionError("customer " + r.get("customer_id") + " is in two chunks");
                }
            }
        }), mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(8, chunkCalls.get());
        Rows scores = run.result().get(new Ref("out", "score", "scores"), Rows.class);
        assertEquals(10_000, scores.size());
        assertEquals(97, chunkOfCustomer.size());
        assertEquals(10_000L, run.task("score").rows());
        assertEquals(8, run.events().stream().filter(e -> e instanceof RunEvent.ChunkFinished).count(),
                "every uploaded chunk is reported as progress");
    }

    @Test
    void rangeChunksSplitAnOrderedKey() {
        AtomicInteger calls = new AtomicInteger();
        FlowRunRecord run = kit.run(scored(Batched.rangeOf("order_id", 5), chunk -> {
            calls.incrementAndGet();
            assertTrue(chunk.size() >= 1_999 && chunk.size() <= 2_001, "range chunks are even: " + chunk.size());
        }), mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(5, calls.get());
        assertEquals(10_000, run.result().get(new Ref("out", "score", "scores"), Rows.class).size());
    }

    @Test
    void rangeChunksOverADoubleKeyWithNaNAndInfiniteValuesKeepEveryRowOnce() {
        Rows.Builder keys = Rows.builder("id", "x");
        double[] odd = {Double.NaN, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY};
        for (int i = 0; i < odd.length; i++) {
            keys.add((long) i, odd[i]);
        }
        keys.add(3L, null);
        for (int i = 4; i < 100; i++) {
            keys.add((long) i, i / 10.0);
        }
        Rows input = keys.build();
        // Read from the store, and split in memory when the input is inlined.
        for (boolean inline : List.of(false, true)) {
            AtomicInteger calls = new AtomicInteger();
            Flow flow = Flow.define("batched-doubles", f -> {
                Ref raw = f.stage("raw").task("keys")
                        .produces(ctx -> inline ? Table.of(input, "keys").inline() : Table.of(input, "keys")).ref();
                f.stage("out").task("copy").version(inline ? "inline" : "stored").input("keys", raw, Rows.class)
                        .batched(Batched.rangeOf("x", 3)).produces(ctx -> {
                            calls.incrementAndGet();
                            return Table.of(ctx.input("keys", Rows.class), "copied");
                        });
            });
            FlowRunRecord run = kit.run(flow, mini);
            assertTrue(run.successful(), () -> run.result().toJson());
            assertEquals(3, calls.get());
            Rows copied = run.result().get(new Ref("out", "copy", "copied"), Rows.class);
            assertEquals(LongStream.range(0, 100).boxed().collect(Collectors.toSet()),
                    copied.stream().map(r -> r.getLong("id")).collect(Collectors.toSet()), "inline: " + inline);
            assertEquals(100, copied.size(), "inline: " + inline);
        }
    }

    /** A user hook: two chunks, even and odd orders, each with a predicate of its own. */
    record EvenOdd() implements InvocationHook {
        @Override
        public String describe() {
            return "even/odd order_id";
        }

        @Override
        public List<Chunk> prepare(ChunkPlanning planning) {
            String id = planning.quote("order_id");
            return List.of(new Chunk(0, id + " % 2 = 0", "even"), new Chunk(1, id + " % 2 = 1", "odd"));
        }

        @Override
        public int computeParallelism() {
            return 2;
        }
    }

    @Test
    void aUserHookPreparesItsOwnChunks() {
        List<Integer> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        FlowRunRecord run = kit.run(scored(new EvenOdd(), chunk -> sizes.add(chunk.size())), mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(List.of(5_000, 5_000), sizes);
    }

    @Test
    void noMoreChunksComputeAtOnceThanTheBoundEvenWithASlowStore() {
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Batched hook = Batched.hashOf("customer_id", 12).computeParallelism(3).uploadParallelism(1).maxBufferedChunks(1);
        FlowRunRecord run = kit.run(scored(hook, chunk -> {
            int now = inside.incrementAndGet();
            most.accumulateAndGet(now, Math::max);
            Thread.sleep(20);
            inside.decrementAndGet();
        }), mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertTrue(most.get() <= 3, "at most 3 chunks computed at once, saw " + most.get());
        assertEquals(10_000, run.result().get(new Ref("out", "score", "scores"), Rows.class).size());
    }

    /**
     * A store that takes chunks slower than they compute: once the upload slot is taken and
     * {@code maxBufferedChunks} results wait, no chunk computes; draining the store one chunk at a
     * time never lets more results pile up in memory.
     */
    @Test
    void computedChunksWaitingForASlowStoreNeverExceedTheBuffer() throws Exception {
        Batched hook = Batched.hashOf("customer_id", 12).computeParallelism(3).uploadParallelism(1).maxBufferedChunks(2);
        AtomicInteger started = new AtomicInteger();
        try (GatedStore.Gate gate = new GatedStore.Gate()) {
            Flow flow = Flow.define("slow-store", f -> {
                Ref orders = f.stage("raw").task("orders").produces(ctx -> Table.of(orders(10_000), "orders")).ref();
                f.stage("out").task("score").input("orders", orders, Rows.class).batched(hook).produces(ctx -> {
                    started.incrementAndGet();
                    Table scores = Table.of(score(ctx.input("orders", Rows.class)), "scores");
                    gate.computed();
                    return scores;
                });
            });
            CompletableFuture<FlowRunRecord> running = CompletableFuture.supplyAsync(() -> kit.run(flow, gate.gate(mini)));

            awaitFull(gate, running);
            assertEquals(1, gate.uploading(), "the one upload slot is taken by a chunk waiting at the store");
            assertEquals(2, gate.waiting(), "computed results wait up to maxBufferedChunks, and no more");
            Thread.sleep(750); // a chunk started beyond the bound would have started by now
            assertEquals(3, started.get(), "no chunk computes while the buffer is full");
            assertEquals(3, gate.computedSoFar());

            while (!running.isDone()) {
                gate.release(1);
                Thread.sleep(10);
            }
            FlowRunRecord run = running.get();
            assertTrue(run.successful(), () -> run.result().toJson());
            assertEquals(12, gate.computedSoFar());
            assertTrue(gate.mostHeld() <= 2 + 1, "at most maxBufferedChunks results waiting and uploadParallelism"
                    + " uploading are in memory at once, saw " + gate.mostHeld());
            assertEquals(10_000, run.result().get(new Ref("out", "score", "scores"), Rows.class).size());
        }
    }

    /**
     * Waits until the upload slot and the buffer are full (one chunk uploading at the gate, two computed
     * and waiting), however long the chunks take to compute, failing after 60 s or when the run ends.
     */
    private static void awaitFull(GatedStore.Gate gate, CompletableFuture<?> running) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && !running.isDone()) {
            if (gate.uploading() == 1 && gate.waiting() >= 2) {
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("the chunks never filled the upload slot and the buffer behind the slow store: "
                + gate.computedSoFar() + " computed, " + gate.uploading() + " uploading, " + gate.waiting()
                + " waiting; run done: " + running.isDone());
    }

    @Test
    void aChunkThatFailsOnceIsRetriedWithoutDuplicatingRows() {
        AtomicInteger failures = new AtomicInteger();
        FlowRunRecord run = kit.run(scored(Batched.hashOf("customer_id", 4), chunk -> {
            if (chunk.stream().anyMatch(r -> r.getLong("customer_id") == 5L) && failures.getAndIncrement() == 0) {
                throw new StoreException("connection reset while reading the chunk", null, true, null);
            }
        }), mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(1, failures.get() > 0 ? 1 : 0);
        Rows scores = run.result().get(new Ref("out", "score", "scores"), Rows.class);
        assertEquals(10_000, scores.size());
        assertEquals(10_000, scores.stream().map(r -> r.get("order_id")).collect(Collectors.toSet()).size());
    }

    static void assertEveryOrderScoredOnce(FlowRunRecord run) {
        Rows scores = run.result().get(new Ref("out", "score", "scores"), Rows.class);
        assertEquals(10_000, scores.size());
        assertEquals(10_000, scores.stream().map(r -> r.get("order_id")).collect(Collectors.toSet()).size());
    }

    @Test
    void aChunkWhoseAppendCommittedButSeemedToFailIsNotAppendedAgain() {
        AtomicInteger calls = new AtomicInteger();
        FlowRunRecord run = kit.run(scored(Batched.hashOf("customer_id", 4), chunk -> calls.incrementAndGet()),
                FaultyStoreFactory.around(mini, 1, FaultyStoreFactory.Fault.LOST_ACKNOWLEDGEMENT));
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(5, calls.get(), "the chunk whose acknowledgement was lost is computed again");
        assertEquals(10_000L, run.task("score").rows(), "the retried chunk's rows are counted once");
        assertEveryOrderScoredOnce(run);
    }

    @Test
    void aChunkThatCannotBeAppendedFailsTheTaskAndLeavesNothingOfItVisible() {
        kit.run(scored(Batched.hashOf("customer_id", 4), chunk -> { }), mini);
        FlowRunRecord failed = kit.run(scored(Batched.hashOf("customer_id", 4), chunk -> { }),
                FaultyStoreFactory.around(mini, 1, FaultyStoreFactory.Fault.REFUSED),
                RunOptions.defaults().cacheValidation(InstanceConfig.CacheValidation.NORMAL.withMode(
                        InstanceConfig.CacheValidation.Mode.FORCE_CACHE_INVALID)));
        assertFalse(failed.successful());
        String error = failed.task("score").error();
        assertTrue(error.contains("chunk 1") && error.contains("refuses slice 1"), error);
        assertEveryOrderScoredOnce(failed); // the previous commit, not the three chunks appended before the failure
    }

    @Test
    void aTaskRetriedAfterAChunkGaveUpStartsFromAnEmptyOutput() {
        AtomicInteger failures = new AtomicInteger();
        FlowRunRecord run = kit.run(scored(Batched.hashOf("customer_id", 4).computeParallelism(1), chunk -> {
            if (chunk.stream().anyMatch(r -> r.getLong("customer_id") == 5L) && failures.getAndIncrement() < 3) {
                throw new StoreException("connection reset while reading the chunk", null, true, null);
            }
        }), mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(2, run.task("score").attempts(), "the chunk gave up after three attempts, so the task retried");
        assertEquals(10_000L, run.task("score").rows());
        assertEveryOrderScoredOnce(run);
    }

    @Test
    void aFailingChunkFailsTheTaskNamingTheChunkAndLeavesNoPartialTable() {
        kit.run(scored(Batched.hashOf("customer_id", 4), chunk -> { }), mini);
        FlowRunRecord failed = kit.run(Flow.define("batched", f -> {
            Stage raw = f.stage("raw");
            Ref orders = raw.task("orders").produces(ctx -> Table.of(orders(10_000), "orders")).ref();
            Stage out = f.stage("out");
            out.task("score").version("2").input("orders", orders, Rows.class).batched(Batched.hashOf("customer_id", 4))
                    .produces(ctx -> {
                        Rows chunk = ctx.input("orders", Rows.class);
                        if (chunk.stream().anyMatch(r -> r.getLong("customer_id") == 5L)) {
                            throw new IllegalStateException("bad customer 5");
                        }
                        return Table.of(score(chunk), "scores");
                    });
        }), mini);
        assertFalse(failed.successful());
        String error = failed.task("score").error();
        assertTrue(error.contains("task 'score'") && error.contains("chunk ") && error.contains("bad customer 5"), error);
        assertEquals(10_000, failed.result().get(new Ref("out", "score", "scores"), Rows.class).size(),
                "the previous commit of the stage is what readers see");
    }

    @Test
    void aBatchedTaskIsCachedLikeAnyOtherAndAChangeOfChunkingRerunsIt() {
        kit.run(scored(Batched.hashOf("customer_id", 4), chunk -> { }), mini);
        assertEquals(Set.of("orders", "score"), kit.run(scored(Batched.hashOf("customer_id", 4), chunk -> { }), mini)
                .cacheHits());
        FlowRunRecord rechunked = kit.run(scored(Batched.hashOf("customer_id", 6), chunk -> { }), mini);
        assertEquals(Set.of("score"), rechunked.ran());
    }

    @Test
    void anInlinedInputOfABatchedTaskIsSplitInMemoryAndNeverWrittenToTheStore() {
        FlowRunRecord run = kit.run(Flow.define("batched-inline", f -> {
            Stage s = f.stage("s");
            Ref orders = s.task("orders").produces(ctx -> Table.of(orders(1_000), "orders").inline()).ref();
            s.task("score").input("orders", orders, Rows.class).batched(Batched.hashOf("customer_id", 3))
                    .produces(ctx -> Table.of(score(ctx.input("orders", Rows.class))));
        }), mini.withInline(InstanceConfig.InlineMode.FORCE_TRUE));
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(TaskState.COMPLETED, run.task("score").state());
        assertEquals(1_000, run.result().get(new Ref("s", "score", "score"), Rows.class).size());
        assertThrows(IllegalArgumentException.class, () -> run.result().get(new Ref("s", "orders", "orders"), String.class),
                "the orders have no SQL name: they were never written to the store");
    }

    @Test
    void emptyChunksOfUntypedRowsDoNotWidenTheOutputsColumns() {
        FlowRunRecord run = kit.run(scored(Batched.hashOf("customer_id", 128), chunk -> { }), mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        Rows scores = run.result().get(new Ref("out", "score", "scores"), Rows.class);
        assertEquals(10_000, scores.size());
        assertTrue(scores.get(0).get("score") instanceof Double, "score stays a double: " + scores.schema());
        assertTrue(scores.get(0).get("order_id") instanceof Long, "order_id stays a bigint: " + scores.schema());
    }

    static Flow withNullKeys(InvocationHook hook) {
        return Flow.define("nulls", f -> {
            Stage s = f.stage("s");
            Ref orders = s.task("orders").produces(ctx -> {
                Rows.Builder b = Rows.builder(org.apache.arrow.vector.types.pojo.Schema.fromJSON(
                        "{\"fields\":[{\"name\":\"order_id\",\"nullable\":true,\"type\":{\"name\":\"int\","
                                + "\"bitWidth\":64,\"isSigned\":true},\"children\":[]},{\"name\":\"customer_id\","
                                + "\"nullable\":true,\"type\":{\"name\":\"int\",\"bitWidth\":64,\"isSigned\":true},"
                                + "\"children\":[]}]}"));
                for (long i = 0; i < 100; i++) {
                    b.add(i, i % 10 == 0 ? null : i % 7);
                }
                return Table.of(b.build(), "orders");
            }).ref();
            s.task("count").input("orders", orders, Rows.class).batched(hook)
                    .produces(ctx -> Table.of(Rows.builder("n").add((long) ctx.input("orders", Rows.class).size()).build()));
        });
    }

    @Test
    void rowsWithANullKeyLandInExactlyOneChunk() throws Exception {
        for (InvocationHook hook : List.of(Batched.hashOf("customer_id", 4), Batched.rangeOf("customer_id", 3))) {
            FlowRunRecord run = kit.run(withNullKeys(hook), mini);
            assertTrue(run.successful(), () -> run.result().toJson());
            long total = run.result().get(new Ref("s", "count", "count"), Rows.class).stream()
                    .mapToLong(r -> r.getLong("n")).sum();
            assertEquals(100, total, hook + " loses or duplicates rows with a NULL key");
        }
    }
}
