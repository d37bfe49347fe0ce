package dev.weir.engine;

/**
 * Arrow memory went over one of the configured budgets ({@code memory.run}, {@code memory.task} or
 * {@code memory.chunk}): the task fails, and is not retried, since a retry would need as much memory.
 * Reaches the caller as the cause of the {@link TaskFailedException} that names flow, stage, task and
 * chunk.
 */
public class MemoryBudgetException extends WeirException {

    private final String key;
    private final long limit;

    public MemoryBudgetException(String key, long limit, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
        this.limit = limit;
    }

    /** The configuration key of the budget: {@code memory.run}, {@code memory.task} or {@code memory.chunk}. */
    public String key() {
        return key;
    }

    /** The budget in bytes. */
    public long limit() {
        return limit;
    }
}
