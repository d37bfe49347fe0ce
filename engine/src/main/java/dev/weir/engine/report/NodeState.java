package dev.weir.engine.report;

import dev.weir.engine.PlanReport;
import dev.weir.engine.TaskState;
import java.util.Locale;

/**
 * How a task is drawn in a diagram or a report: what a run did with it ({@link TaskState}) or what a
 * run would do ({@link PlanReport.Decision}). Each state has a CSS and Mermaid class name and colours,
 * the same in the Mermaid text, the HTML page's legend and its timeline.
 */
public enum NodeState {
    /** The task ran. */
    COMPLETED("ran", "#cdeccd", "#2e7d32", false),
    /** Its cache was valid: it did not run. */
    CACHE_VALID("cache hit", "#e3ecf7", "#1565c0", false),
    /** It failed, or its stage could not be committed. */
    FAILED("failed", "#f8d0d0", "#c62828", false),
    /** It did not run: not selected, upstream failed, or the run was cancelled. */
    SKIPPED("skipped or cancelled", "#eeeeee", "#9e9e9e", true),
    /** A run would run it. */
    RUN("would run", "#fff1c7", "#e6a100", false),
    /** A run would take it from the cache. */
    CACHE_HIT("would hit the cache", "#e3ecf7", "#1565c0", false),
    /** A run would take its outputs from a failed attempt of its stage. */
    RESUMED("would resume", "#e6dcf5", "#6a1b9a", false),
    /** A run of the selected tasks would leave it alone. */
    NOT_SELECTED("not selected", "#eeeeee", "#9e9e9e", true),
    /** A run decides it only once the tasks it waits for have run. */
    DECIDED_LATER("decided when inputs are ready", "#fdf6e3", "#b58900", true);

    private final String label;
    private final String fill;
    private final String stroke;
    private final boolean dashed;

    NodeState(String label, String fill, String stroke, boolean dashed) {
        this.label = label;
        this.fill = fill;
        this.stroke = stroke;
        this.dashed = dashed;
    }

    /** What a task in this state is called in a legend, e.g. {@code cache hit}. */
    public String label() {
        return label;
    }

    /** The class of its node: Mermaid's {@code classDef} and the page's CSS, e.g. {@code cache_valid}. */
    public String cssClass() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Its fill colour, {@code #rrggbb}. */
    public String fill() {
        return fill;
    }

    /** Its border colour, {@code #rrggbb}. */
    public String stroke() {
        return stroke;
    }

    /** True when its border is dashed: the task did not (or would not) run. */
    public boolean dashed() {
        return dashed;
    }

    /** The Mermaid {@code classDef} line of this state. */
    public String mermaidClassDef() {
        return "classDef " + cssClass() + " fill:" + fill + ",stroke:" + stroke
                + (dashed ? ",stroke-dasharray: 4 2" : "");
    }

    public static NodeState of(TaskState state) {
        return switch (state) {
            case COMPLETED -> COMPLETED;
            case CACHE_VALID -> CACHE_VALID;
            case FAILED -> FAILED;
            case SKIPPED -> SKIPPED;
        };
    }

    public static NodeState of(PlanReport.Decision decision) {
        return switch (decision) {
            case RUN -> RUN;
            case CACHE_HIT -> CACHE_HIT;
            case RESUMED -> RESUMED;
            case NOT_SELECTED -> NOT_SELECTED;
            case DECIDED_WHEN_INPUTS_ARE_READY -> DECIDED_LATER;
        };
    }
}
