package dev.weir.engine.runtime;

import dev.weir.engine.TaskDef;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.ConnectionDemand;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.arrow.vector.ipc.ArrowReader;

/**
 * Works out a run's {@link ConnectionDemand} from its plan. A task attempt runs on one thread of the
 * blocking dispatcher (a batched task on up to {@code computeParallelism} threads, one per chunk); an
 * {@code ArrowReader} table input keeps its connection open for the whole call, and the task needs
 * one more to write its output (or read another input) meanwhile. Every other store call holds one
 * connection at a time. So a thread holds at most {@code 1 + readers} connections at once.
 */
final class ConnectionDemands {

    private ConnectionDemands() {
    }

    /**
     * @param plan            the run's plan; only tasks that run (or may: deferred ones) count
     * @param blockingThreads the size of the blocking dispatcher: no more threads than that hold connections
     */
    static ConnectionDemand of(Plan plan, InstanceConfig config, int blockingThreads) {
        int parallelism = config.orchestration().engine() == InstanceConfig.Orchestration.Engine.SEQUENTIAL
                ? 1 : config.orchestration().maxParallelism();
        List<TaskDemand> tasks = new ArrayList<>();
        for (TaskPlan task : plan.tasks().values()) {
            if (task.decision() == TaskPlan.Decision.RUN || task.decision() == TaskPlan.Decision.DEFERRED) {
                tasks.add(TaskDemand.of(task.task()));
            }
        }
        tasks.sort(Comparator.comparingInt(TaskDemand::perThread).reversed());
        int connections = 1;
        int holders = 0;
        int taken = 0;
        for (TaskDemand task : tasks) {
            if (taken == parallelism || holders == blockingThreads) {
                break;
            }
            int threads = Math.min(task.threads(), blockingThreads - holders);
            holders += threads;
            connections += threads * (task.perThread() - 1);
            taken++;
        }
        if (tasks.isEmpty() || tasks.get(0).perThread() == 1) {
            return new ConnectionDemand(1, Math.max(1, holders), parallelism, "every task holds one connection at a time");
        }
        TaskDemand worst = tasks.get(0);
        String example = "task '" + worst.task().name() + "' holds " + worst.perThread() + " at once on each of "
                + worst.threads() + (worst.threads() == 1 ? " thread" : " chunk threads") + " ("
                + (worst.perThread() - 1) + " ArrowReader input" + (worst.perThread() == 2 ? "" : "s")
                + " open while it writes)";
        return new ConnectionDemand(connections, holders, parallelism, example);
    }

    /** One task's threads and the connections each holds at most at once. */
    private record TaskDemand(TaskDef task, int threads, int perThread) {
        static TaskDemand of(TaskDef task) {
            int readers = (int) task.inputs().stream()
                    .filter(in -> in.ref() != null && ArrowReader.class.isAssignableFrom(in.type())).count();
            int threads = task.batched() ? Math.max(1, computeParallelism(task)) : 1;
            return new TaskDemand(task, threads, 1 + readers);
        }

        /** The hook's bound on chunks computing at once; a hook that throws is named with its task. */
        private static int computeParallelism(TaskDef task) {
            try {
                return task.invocation().computeParallelism();
            } catch (RuntimeException e) {
                throw new dev.weir.engine.WeirException("stage '" + task.stage() + "', task '" + task.name()
                        + "': its invocation hook failed when asked for computeParallelism: " + e, e);
            }
        }
    }
}
