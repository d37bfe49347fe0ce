/**
 * Running Weir on a Pekko Cluster: the coordinator (the process that runs the flow) hands a batched
 * task's chunks and a streaming task's batch calls to worker nodes, which find the task's code from the
 * same flow jar and read and write the shared store themselves. The engine knows nothing of this module:
 * it plugs in behind the engine's chunk and batch placements.
 */
package dev.weir.cluster;
