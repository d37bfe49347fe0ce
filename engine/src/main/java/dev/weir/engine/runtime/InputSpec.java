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
 */
record InputSpec(String name, Class<?> type, OutputSet.Output output, String producerStage, String producerTask,
                 boolean inTransaction, Object constant, dev.weir.engine.data.ArrowTable inline, String where) {

    /** This input restricted to the rows matching {@code predicate} (null: all rows). */
    InputSpec where(String predicate) {
        return new InputSpec(name, type, output, producerStage, producerTask, inTransaction, constant, inline, predicate);
    }

    /** This input with {@code data} as its in-memory data (a chunk's rows of an inlined table). */
    InputSpec withInline(dev.weir.engine.data.ArrowTable data) {
        return new InputSpec(name, type, output, producerStage, producerTask, inTransaction, constant, data, where);
    }

    InputSpec {
        Objects.requireNonNull(name, "name is null");
        Objects.requireNonNull(type, "type is null");
    }
}
