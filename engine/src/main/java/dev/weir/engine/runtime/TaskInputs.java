package dev.weir.engine.runtime;

import dev.weir.engine.Ref;
import dev.weir.engine.TaskDef;
import dev.weir.engine.TaskId;
import dev.weir.engine.data.ArrowTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Where each input of a task comes from in a run: a constant, a table of the running stage's
 * transaction or of a committed stage, a value or blob, or an inlined table's data in memory. Used by
 * the run's supervisor on its own thread.
 */
final class TaskInputs {

    private final Plan plan;

    TaskInputs(Plan plan) {
        this.plan = plan;
    }

    /**
     * The inputs of {@code consumer}, resolved against what has run so far.
     *
     * @param succeeded true for tasks that completed (or were carried forward) in this run
     * @param outputs   what each finished task produced
     * @param inline    where inlined outputs are held; a view is taken for each inlined input
     */
    List<InputSpec> of(TaskPlan consumer, Predicate<TaskId> succeeded, Map<TaskId, OutputSet> outputs,
                       InlineHandOver inline) {
        List<InputSpec> inputs = new ArrayList<>();
        for (TaskDef.Input in : consumer.task().inputs()) {
            inputs.add(in.ref() == null
                    ? new InputSpec(in.name(), in.type(), null, null, null, false, in.constant(), null, null)
                    : fromProducer(consumer, in, succeeded, outputs, inline));
        }
        return inputs;
    }

    private InputSpec fromProducer(TaskPlan consumer, TaskDef.Input in, Predicate<TaskId> succeeded,
                                   Map<TaskId, OutputSet> outputs, InlineHandOver inline) {
        Ref ref = in.ref();
        TaskPlan producer = plan.producerOf(ref);
        OutputSet produced = outputs.get(producer.id());
        OutputSet.Output output = produced == null ? null : TaskKeys.outputOf(producer, produced, ref.output());
        if (output == null) {
            // left out of the run with no committed entry to name its tables: the consumer's key is this
            // run's alone (Planner), and it reads what the committed stage holds under the output's name
            output = new OutputSet.Output(ref.output(), OutputSet.Kind.TABLE, ref.output(), null, -1, null, null);
        }
        boolean inTransaction = producer.stage().equals(consumer.stage()) && succeeded.test(producer.id())
                && plan.touched().contains(producer.stage());
        ArrowTable data = output.kind() == OutputSet.Kind.INLINE && consumer.decision() == TaskPlan.Decision.RUN
                ? inline.viewFor(producer.id(), ref.output()) : null;
        // The key the producer's tables were made under: only with an entry of its own (it ran, hit or was
        // carried), and not when it is the run's alone.
        String key = produced == null || producer.fresh() ? null : producer.fullKey();
        return new InputSpec(in.name(), in.type(), output, producer.stage(), producer.name(), inTransaction, null, data,
                null, key);
    }

    /** Per output of {@code producer}, the tasks that will still run in this run and read it. */
    Map<String, Set<TaskId>> readersToCome(TaskPlan producer, Predicate<TaskId> pending) {
        Map<String, Set<TaskId>> readers = new HashMap<>();
        for (TaskPlan t : plan.tasks().values()) {
            boolean mayRun = t.decision() == TaskPlan.Decision.RUN || t.decision() == TaskPlan.Decision.DEFERRED;
            if (!mayRun || !pending.test(t.id())) {
                continue;
            }
            for (Ref ref : t.task().upstream()) {
                if (ref.taskId().equals(producer.id())) {
                    readers.computeIfAbsent(ref.output(), k -> new HashSet<>()).add(t.id());
                }
            }
        }
        return readers;
    }
}
