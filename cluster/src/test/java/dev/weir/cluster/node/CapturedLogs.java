package dev.weir.cluster.node;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.LoggerFactory;

/** Every log event of this JVM while attached, collected from any thread (logback's ListAppender is not safe). */
final class CapturedLogs extends AppenderBase<ILoggingEvent> {

    private final ConcurrentLinkedQueue<ILoggingEvent> events = new ConcurrentLinkedQueue<>();

    static CapturedLogs attach() {
        CapturedLogs logs = new CapturedLogs();
        logs.start();
        root().addAppender(logs);
        return logs;
    }

    void detach() {
        root().detachAppender(this);
        stop();
    }

    List<ILoggingEvent> events() {
        return List.copyOf(events);
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        events.add(event);
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
