package dev.weir.engine.runtime;

import dev.weir.engine.TaskFailedException;
import dev.weir.engine.TaskTimeoutException;
import dev.weir.engine.data.ArrowTable;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One attempt of one task. Starts its blocking work on the blocking dispatcher as soon as it is
 * spawned, reports the {@link TaskOutcome} to its stage, and stops. An attempt that runs past its
 * limit ({@code task_timeout}, or the task's own timeout), or whose run is cancelled, is interrupted
 * and reported failed, not transient; what it made is freed when its thread ends. A thread that does
 * not end within {@link Limits#GRACE} of the interrupt is reported anyway and left to end on its own.
 * Stopped before its thread ended (its stage failed), it frees the outcome's inlined data when the
 * thread ends.
 */
final class TaskRun extends AbstractBehavior<TaskRun.Command> {

    sealed interface Command {
    }

    /** The run is cancelled: interrupt the attempt and report it failed. */
    record Cancel(String reason) implements Command {
    }

    private record Finished(TaskOutcome outcome, Throwable error) implements Command {
    }

    private record TimedOut() implements Command {
    }

    private record GraceOver() implements Command {
    }

    private final TaskExecution execution;
    private final TaskPlan plan;
    private final BlockingCall<TaskOutcome> call;
    private final Limits limit;
    private final ActorRef<StageRun.Command> stage;
    private final TimerScheduler<Command> timers;
    private final long start = System.nanoTime();
    /** Why the attempt was interrupted, or null while it runs on. */
    private TaskFailedException stopped;
    private boolean reported;
    /** The thread's outcome has come back here (and was passed on or freed). */
    private boolean ended;

    static Behavior<Command> create(TaskExecution execution, TaskPlan plan, List<InputSpec> inputs, int attempt,
                                    Executor blocking, ActorRef<StageRun.Command> stage) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            BlockingCall<TaskOutcome> call = BlockingCall.start(() -> execution.execute(plan, inputs, attempt), blocking);
            ctx.pipeToSelf(call.future(), Finished::new);
            Limits limit = Limits.task(plan.task(), execution.config());
            timers.startSingleTimer(new TimedOut(), limit.duration());
            return new TaskRun(ctx, timers, execution, plan, call, limit, stage);
        }));
    }

    private TaskRun(ActorContext<Command> context, TimerScheduler<Command> timers, TaskExecution execution,
                    TaskPlan plan, BlockingCall<TaskOutcome> call, Limits limit, ActorRef<StageRun.Command> stage) {
        super(context);
        this.timers = timers;
        this.execution = execution;
        this.plan = plan;
        this.call = call;
        this.limit = limit;
        this.stage = stage;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Finished.class, this::onFinished)
                .onMessage(TimedOut.class, msg -> interrupt(new TaskTimeoutException(execution.flow().name(),
                        plan.stage(), plan.name(), null, limit.duration(), limit.setting())))
                .onMessage(Cancel.class, msg -> interrupt(new TaskFailedException(execution.flow().name(),
                        plan.stage(), plan.name(), "interrupted: " + msg.reason(), null)))
                .onMessage(GraceOver.class, this::onGraceOver)
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    private Behavior<Command> onPostStop(PostStop signal) {
        if (!ended) {
            call.interrupt();
            call.future().thenAccept(outcome -> outcome.inline().values().forEach(ArrowTable::close));
        }
        return this;
    }

    private Behavior<Command> onFinished(Finished msg) {
        ended = true;
        if (stopped == null) {
            timers.cancelAll();
            TaskOutcome outcome = msg.outcome() != null ? msg.outcome()
                    : new TaskOutcome(plan.id(), null, msg.error(), false, seconds(), null);
            stage.tell(new StageRun.TaskDone(outcome));
            return Behaviors.stopped();
        }
        if (msg.outcome() != null) {
            msg.outcome().inline().values().forEach(ArrowTable::close);
        }
        report();
        return Behaviors.stopped();
    }

    private Behavior<Command> interrupt(TaskFailedException why) {
        if (stopped != null) {
            return this;
        }
        stopped = why;
        getContext().getLog().warn("{}", why.getMessage());
        call.interrupt();
        timers.startSingleTimer(new GraceOver(), Limits.GRACE);
        return this;
    }

    private Behavior<Command> onGraceOver(GraceOver msg) {
        if (!reported) {
            getContext().getLog().warn("Task '{}' of stage '{}' did not stop within {} s of its interrupt; its stage"
                    + " is rolled back while its thread ends on its own", plan.name(), plan.stage(),
                    Limits.GRACE.toSeconds());
            report();
        }
        return this; // waits for the thread, to free what it made
    }

    private void report() {
        if (!reported) {
            reported = true;
            stage.tell(new StageRun.TaskDone(new TaskOutcome(plan.id(), null, stopped, false, seconds(), null)));
        }
    }

    private double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }
}
