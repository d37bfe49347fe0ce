package dev.weir.engine.stream;

/**
 * Where a run's streaming graphs place their calls: implemented by a run's chunk placement that can also
 * run streaming calls elsewhere (the cluster module's), and asked through
 * {@link dev.weir.engine.TaskContext#streamPlacement}. A worker that runs a graph's calls builds the same
 * graph from the same flow code by its name ({@link dev.weir.engine.NamedFlow#streamGraph}).
 */
public interface StreamPlacements {

    /**
     * The placement for the graph {@code graph} of flow {@code flow}, or null to run its calls in this JVM.
     * {@code definition} is this process's copy (its tasks' settings bound the calls). The placement
     * belongs to this object, which closes it; one per flow and graph.
     */
    BatchPlacement forGraph(String flow, String graph, StreamGraph definition);
}
