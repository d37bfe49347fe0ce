/**
 * Where a batched task's chunks run. By default each chunk runs in the JVM of its run; a
 * {@link dev.weir.engine.placement.ChunkPlacement} given to
 * {@link dev.weir.engine.RunOptions#chunkPlacement} runs them elsewhere (the cluster module's worker
 * nodes). The run describes each chunk as a value ({@link dev.weir.engine.placement.ChunkWork}); the
 * node that runs it calls {@link dev.weir.engine.runtime.ChunkWorker} with that value, its own copy of
 * the flow and its own store configuration, and answers with values ({@link ChunkComputed},
 * {@link ChunkUploaded}, {@link ChunkError}). Nothing here depends on a network or on Pekko Cluster.
 */
package dev.weir.engine.placement;
