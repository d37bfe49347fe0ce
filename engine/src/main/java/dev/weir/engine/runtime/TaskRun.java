package dev.weir.engine.runtime;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One attempt of one task. Starts its blocking work on the blocking dispatcher as soon as it is
 * spawned, reports the {@link TaskOutcome} to its stage, and stops.
 */
final class TaskRun extends AbstractBehavior<TaskRun.Command> {

    sealed interface Command {
    }

    private record Finished(TaskOutcome outcome) implements Command {
    }

    private final ActorRef<StageRun.Command> stage;

    static Behavior<Command> create(TaskExecution execution, TaskPlan plan, List<InputSpec> inputs, int attempt,
                                    Executor blocking, ActorRef<StageRun.Command> stage) {
        return Behaviors.setup(ctx -> {
            ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> execution.execute(plan, inputs, attempt), blocking),
                    (outcome, error) -> new Finished(outcome != null ? outcome
                            : new TaskOutcome(plan.name(), null, error, false, 0, null)));
            return new TaskRun(ctx, stage);
        });
    }

    private TaskRun(ActorContext<Command> context, ActorRef<StageRun.Command> stage) {
        super(context);
        this.stage = stage;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder().onMessage(Finished.class, this::onFinished).build();
    }

    private Behavior<Command> onFinished(Finished msg) {
        stage.tell(new StageRun.TaskDone(msg.outcome()));
        return Behaviors.stopped();
    }
}
