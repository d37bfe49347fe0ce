package dev.weir.engine.runtime;

import java.util.Objects;

/**
 * Where one input of a task comes from, as the run's supervisor sees it; the task resolves it to a
 * table location or file on the blocking dispatcher.
 *
 * @param name          the input's name
 * @param type          the type the task wants
 * @param output        the producer's output (null for a constant)
 * @param producerStage the producer's stage (null for a constant)
 * @param producerTask  the producer's name (null for a constant)
 * @param inTransaction true when the output is read from the stage's running transaction, false for
 *                      the committed stage
 * @param constant      the constant's value, when {@code output} is null
 * @param inline        for an inlined output, this attempt's own view of the data (the attempt closes it)
 * @param where         an SQL predicate restricting the rows read (a chunk of a batched task), or null
 * @param producerKey   the full cache key the producer's tables were made under, which determines their
 *                      content; null when it is its run's alone (or not known), so the table is never read
 *                      from nor kept in the local table cache
 */
record InputSpec(String name, Class<?> type, OutputSet.Output output, String producerStage, String producerTask,
                 boolean inTransaction, Object constant, dev.weir.engine.data.ArrowTable inline, String where,
                 String producerKey) {

    /** An input whose producer's key is not known. */
    InputSpec(String name, Class<?> type, OutputSet.Output output, String producerStage, String producerTask,
              boolean inTransaction, Object constant, dev.weir.engine.data.ArrowTable inline, String where) {
        this(name, type, output, producerStage, producerTask, inTransaction, constant, inline, where, null);
    }

    /** This input restricted to the rows matching {@code predicate} (null: all rows). */
    InputSpec where(String predicate) {
        return new InputSpec(name, type, output, producerStage, producerTask, inTransaction, constant, inline, predicate,
                producerKey);
    }

    /** This input with {@code data} as its in-memory data (a chunk's rows of an inlined table). */
    InputSpec withInline(dev.weir.engine.data.ArrowTable data) {
        return new InputSpec(name, type, output, producerStage, producerTask, inTransaction, constant, data, where,
                producerKey);
    }

    InputSpec {
        Objects.requireNonNull(name, "name is null");
        Objects.requireNonNull(type, "type is null");
    }
}
