package dev.weir.engine;

/**
 * A function whose value joins a task's cache key, to detect fresh input the task's code cannot see
 * (e.g. the modification time of a source file). Called while planning, before anything runs, on the
 * blocking dispatcher. The value is hashed through its JSON form (Jackson), so it must be
 * serializable: a string, number, date, list, map or record.
 */
@FunctionalInterface
public interface CacheFunction {
    Object value(CacheContext ctx) throws Exception;
}
