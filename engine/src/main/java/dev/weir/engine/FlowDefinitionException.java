package dev.weir.engine;

/** A flow that cannot be run as defined (a cycle, an unknown input, a duplicate name, …). */
public class FlowDefinitionException extends WeirException {

    public FlowDefinitionException(String flow, String stage, String task, String problem) {
        super(where(flow, stage, task) + ": " + problem);
    }

    static String where(String flow, String stage, String task) {
        StringBuilder s = new StringBuilder("flow '").append(flow).append('\'');
        if (stage != null) {
            s.append(", stage '").append(stage).append('\'');
        }
        if (task != null) {
            s.append(", task '").append(task).append('\'');
        }
        return s.toString();
    }
}
