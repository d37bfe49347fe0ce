package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Result;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link RunOptions#listener(java.util.function.Consumer)}: a plain consumer hears a run's events. */
@WeirTest
class RunListenerTest {

    private final AtomicReference<Object> cacheValue = new AtomicReference<>("input-1");

    @Test
    void aConsumerHearsEveryEventInOrderOnItsOwnThread(FlowTestKit kit, InstanceConfig mini) throws Exception {
        List<RunEvent> events = new CopyOnWriteArrayList<>();
        Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        CountDownLatch finished = new CountDownLatch(1);
        RunOptions options = RunOptions.defaults().runId("listened").listener(event -> {
            if (inside.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            events.add(event);
            threads.add(Thread.currentThread().getName());
            inside.decrementAndGet();
            if (event instanceof RunEvent.RunFinished) {
                finished.countDown();
            }
        });

        try (Result result = kit.weir().run(SampleFlows.twoStages(Map.of(), cacheValue), mini, options)
                .toCompletableFuture().get(2, TimeUnit.MINUTES)) {
            assertTrue(result.successful(), result::toJson);
        }
        assertTrue(finished.await(30, TimeUnit.SECONDS), () -> "no RunFinished among " + events);

        assertInstanceOf(RunEvent.RunStarted.class, events.get(0), events::toString);
        RunEvent.RunFinished last = assertInstanceOf(RunEvent.RunFinished.class, events.get(events.size() - 1));
        assertTrue(last.successful());
        assertEquals(1, events.stream().filter(RunEvent.RunStarted.class::isInstance).count());
        List<String> finishedTasks = events.stream().filter(RunEvent.TaskFinished.class::isInstance)
                .map(e -> ((RunEvent.TaskFinished) e).result().task()).toList();
        assertEquals(Set.of("input_task", "double_a", "double_a2", "double_b"), Set.copyOf(finishedTasks));
        for (String task : finishedTasks) {
            int started = indexOf(events, e -> e instanceof RunEvent.TaskStarted s && s.task().equals(task));
            int done = indexOf(events, e -> e instanceof RunEvent.TaskFinished f && f.result().task().equals(task));
            assertTrue(started >= 0 && started < done, () -> task + " finished before it started: " + events);
        }
        int firstCommit = indexOf(events, RunEvent.StageCommitted.class::isInstance);
        assertTrue(firstCommit > 0, () -> "no stage committed: " + events);
        assertEquals(Set.of("weir-run-listener-listened"), threads);
        assertEquals(0, overlaps.get(), "the consumer is called one event at a time");
    }

    @Test
    void aThrowingConsumerDoesNotFailTheRunAndStillHearsTheEnd(FlowTestKit kit, InstanceConfig mini)
            throws Exception {
        List<RunEvent> events = new CopyOnWriteArrayList<>();
        CountDownLatch finished = new CountDownLatch(1);
        RunOptions options = RunOptions.defaults().listener(event -> {
            events.add(event);
            if (event instanceof RunEvent.RunFinished) {
                finished.countDown();
            }
            throw new IllegalStateException("listener broke on " + event.getClass().getSimpleName());
        });

        try (Result result = kit.weir().run(SampleFlows.twoStages(Map.of(), cacheValue), mini, options)
                .toCompletableFuture().get(2, TimeUnit.MINUTES)) {
            assertTrue(result.successful(), result::toJson);
        }
        assertTrue(finished.await(30, TimeUnit.SECONDS), () -> "no RunFinished among " + events);
        assertInstanceOf(RunEvent.RunStarted.class, events.get(0));
        assertEquals(4, events.stream().filter(RunEvent.TaskFinished.class::isInstance).count(), events::toString);
    }

    @Test
    void theActorListenerStillWorksAndReplacesTheConsumer(FlowTestKit kit, InstanceConfig mini) {
        RunOptions options = RunOptions.defaults().listener(event -> {
            throw new AssertionError("replaced");
        });
        // FlowTestKit.run gives the options its probe actor: the consumer given before is dropped
        FlowRunRecord run = kit.run(SampleFlows.twoStages(Map.of(), cacheValue), mini, options);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertInstanceOf(RunEvent.RunStarted.class, run.events().get(0));
    }

    private static int indexOf(List<RunEvent> events, java.util.function.Predicate<RunEvent> test) {
        for (int i = 0; i < events.size(); i++) {
            if (test.test(events.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
