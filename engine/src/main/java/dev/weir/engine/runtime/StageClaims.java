package dev.weir.engine.runtime;

import dev.weir.engine.Flow;
import dev.weir.engine.StageDef;
import dev.weir.engine.TaskDef;
import dev.weir.engine.WeirException;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.TableStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a run checks of its stages in the store before it reads or writes anything: that the store can
 * hold their names, and that no other flow committed them. Blocking (store calls); runs in
 * {@link FlowRun}'s prepare step on the blocking dispatcher.
 */
final class StageClaims {

    private StageClaims() {
    }

    /**
     * Asks the store whether it can hold every stage name and declared output name of {@code flow}
     * (length, internal schemas); called before the run takes its lock.
     */
    static void checkNames(Flow flow, TableStore store) {
        for (StageDef stage : flow.stages()) {
            store.checkStageName(stage.name());
        }
        for (TaskDef task : flow.tasks()) {
            for (String output : task.outputs()) {
                store.checkTableName(output);
            }
        }
    }

    /**
     * Fails when a stage of {@code flow} was last committed by another flow: the run would read that
     * flow's tables as its own cache and then overwrite them. A stage with no recorded owner (never
     * committed, or committed before owners were recorded) is the run's to take. Called holding the
     * instance lock, before planning reads the cache.
     */
    static void checkOwners(Flow flow, InstanceConfig config, TableStore store) {
        List<String> taken = new ArrayList<>();
        List<String> owners = new ArrayList<>();
        for (StageDef stage : flow.stages()) {
            Optional<String> owner = store.stageOwner(stage.name());
            if (owner.isPresent() && !owner.get().equals(flow.name())) {
                taken.add("'" + stage.name() + "' (schema " + store.committedSchema(stage.name()) + ") was committed"
                        + " by flow '" + owner.get() + "'");
                if (!owners.contains(owner.get())) {
                    owners.add(owner.get());
                }
            }
        }
        if (taken.isEmpty()) {
            return;
        }
        String others = owners.size() == 1 ? "flow '" + owners.get(0) + "'" : "flows " + owners;
        throw new WeirException("flow '" + flow.name() + "' cannot run on instance '" + config.instanceName()
                + "': its stage " + String.join(", stage ", taken) + ". Stages of two flows must not share a"
                + " schema: each would read the other's tables as its own cache and overwrite them. Nothing was"
                + " read or written. Run flow '" + flow.name() + "' on another instance, or give it a schema"
                + " prefix of its own (table store argument schema_prefix) so that its stages live apart from"
                + " those of " + others + ".");
    }
}
