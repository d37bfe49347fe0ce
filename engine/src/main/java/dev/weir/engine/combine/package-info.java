/**
 * Combined tasks (PIN-5): two task bodies fused into one task that runs in one call on one worker and
 * passes data between them in memory, e.g. a source streaming out of one database and a sink writing
 * into the table store, with nothing landed in between.
 *
 * <pre>{@code
 * TaskSpec read = TaskSpec.named("read_orders").version("2").produces(ctx -> SourceStream.of(...));
 * TaskSpec write = TaskSpec.named("write_orders").version("1").takes("orders")
 *         .produces(ctx -> Table.of(ctx.input("orders", ArrowTable.class)));
 * Ref orders = stage.task("migrate_orders").combine(read, write).ref();
 * }</pre>
 *
 * The engine sees an ordinary task ({@link dev.weir.engine.combine.CombinedTask} is its function):
 * one cache key, one entry in the run report, one set of metrics. Only two tasks combine, as PIN-5
 * decided: the target is moving data, and a chain would hide a flow's structure from the cache.
 */
package dev.weir.engine.combine;
