package dev.weir.engine.runtime;

import java.util.concurrent.Executor;
import org.apache.arrow.memory.BufferAllocator;

/**
 * What every run of an engine shares: the blocking dispatcher, the open stores, the root allocator.
 *
 * @param blocking  where JDBC and user code run (never an actor thread)
 * @param stores    the open table stores
 * @param allocator the engine's allocator; each run and task takes a child of it
 */
record RunServices(Executor blocking, StoreRegistry stores, BufferAllocator allocator) {
}
