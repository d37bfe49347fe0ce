package dev.weir.engine;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.engine.cache.CacheKeys;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;

/**
 * What a run of a flow on an instance would do, computed as the run's planner would, writing nothing
 * ({@link Weir#plan}): each task's decision and why. Immutable.
 *
 * @param flow     the flow
 * @param instance the instance
 * @param tasks    every task of the flow, in its (topological) order
 */
public record PlanReport(String flow, String instance, List<Step> tasks) {

    public PlanReport {
        Objects.requireNonNull(flow, "flow is null");
        Objects.requireNonNull(instance, "instance is null");
        tasks = List.copyOf(tasks);
    }

    /**
     * One task's decision.
     *
     * @param stage    its stage
     * @param task     its name
     * @param decision what the run would do with it
     * @param reason   why, as a run report says it ({@code no-cache-entry}, {@code version-changed 1.0 -> 1.1},
     *                 {@code fresh-input}, {@code cache-valid}, ...)
     */
    public record Step(String stage, String task, Decision decision, String reason) {
        public Step {
            Objects.requireNonNull(stage, "stage is null");
            Objects.requireNonNull(task, "task is null");
            Objects.requireNonNull(decision, "decision is null");
            Objects.requireNonNull(reason, "reason is null");
        }
    }

    /** What a run would do with a task. */
    public enum Decision {
        /** The cache is invalid: the task runs. */
        RUN("run"),
        /** The cache is valid: its committed outputs are carried forward. */
        CACHE_HIT("cache hit"),
        /** A failed attempt of its stage kept its outputs under the same key: they are taken from there. */
        RESUMED("resumed"),
        /** Not selected (see {@link RunOptions#only}): its committed outputs stay as they are. */
        NOT_SELECTED("not selected"),
        /**
         * Its key covers a value that a task running before it produces: run or cache hit is known only
         * once that task has run.
         */
        DECIDED_WHEN_INPUTS_ARE_READY("decided when inputs are ready");

        private final String label;

        Decision(String label) {
            this.label = label;
        }

        /** The words the command line prints, e.g. {@code cache hit}. */
        public String label() {
            return label;
        }
    }

    /** The step of task {@code task} of stage {@code stage}. */
    public java.util.Optional<Step> step(String stage, String task) {
        return tasks.stream().filter(s -> s.stage().equals(stage) && s.task().equals(task)).findFirst();
    }

    public long count(Decision decision) {
        return tasks.stream().filter(s -> s.decision() == decision).count();
    }

    /** One line per task ({@code stage/task  decision  reason}) and a line of totals. */
    public String toText() {
        int width = tasks.stream().mapToInt(s -> s.stage().length() + 1 + s.task().length()).max().orElse(0);
        int decisionWidth = tasks.stream().mapToInt(s -> s.decision().label().length()).max().orElse(0);
        StringBuilder text = new StringBuilder("Plan of flow '" + flow + "' on instance '" + instance + "':\n");
        for (Step s : tasks) {
            String name = s.stage() + "/" + s.task();
            text.append("  ").append(name).append(" ".repeat(width - name.length() + 2))
                    .append(s.decision().label()).append(" ".repeat(decisionWidth - s.decision().label().length() + 2))
                    .append(s.reason()).append('\n');
        }
        text.append(count(Decision.RUN)).append(" run, ").append(count(Decision.CACHE_HIT)).append(" cache hits");
        for (Decision d : List.of(Decision.RESUMED, Decision.DECIDED_WHEN_INPUTS_ARE_READY, Decision.NOT_SELECTED)) {
            if (count(d) > 0) {
                text.append(", ").append(count(d)).append(' ').append(d.label());
            }
        }
        return text.append('\n').toString();
    }

    /** {@code {"flow":…, "instance":…, "tasks":[{"stage":…, "task":…, "decision":"run", "reason":…}]}}. */
    public String toJson() {
        ObjectNode root = CacheKeys.JSON.createObjectNode();
        root.put("flow", flow);
        root.put("instance", instance);
        ArrayNode list = root.putArray("tasks");
        for (Step s : tasks) {
            ObjectNode n = list.addObject();
            n.put("stage", s.stage());
            n.put("task", s.task());
            n.put("decision", s.decision().label());
            n.put("reason", s.reason());
        }
        try {
            return CacheKeys.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
