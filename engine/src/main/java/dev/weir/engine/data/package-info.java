/**
 * In-memory table forms a task can ask for: {@link dev.weir.engine.data.ArrowTable} (owned Arrow
 * batches) and {@link dev.weir.engine.data.Rows} (plain Java values, for small tables and tests).
 */
package dev.weir.engine.data;
