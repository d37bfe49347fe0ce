package dev.weir.examples.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.spi.FilterReply;
import dev.weir.engine.config.WeirConfig;

/**
 * The command line's logging, set up in code rather than from a {@code logback.xml} (reading one costs
 * logback's XML machinery, about a tenth of a cached run's CPU): WARN and above on stderr as
 * {@code LEVEL logger - message}; {@code dev.weir} at {@code WEIR_LOG_LEVEL} (default WARN); HikariCP at
 * {@code WEIR_POOL_LOG_LEVEL} (default OFF: the store reports every failure itself, in one line, and the
 * engine logs one WARN line per retry). The configuration's warnings are left to the commands, which print them.
 * Each variable may also be given as a system property of that name.
 *
 * <p>Logback finds this class through {@code META-INF/services}. It steps aside for a configuration of
 * one's own: {@code -Dlogback.configurationFile=...}, or a {@code logback-test.xml} or {@code logback.xml}
 * on the class path; logback then reads that file as usual.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class CliLogging extends ContextAwareBase implements Configurator {

    static final String PATTERN = "%-5level %logger{20} - %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        ClassLoader loader = CliLogging.class.getClassLoader();
        if (System.getProperty("logback.configurationFile") != null || loader.getResource("logback-test.xml") != null
                || loader.getResource("logback.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.addFilter(new ConfigWarningsSaidByTheCommand());
        stderr.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(stderr);
        context.getLogger("dev.weir").setLevel(level("WEIR_LOG_LEVEL", Level.WARN));
        context.getLogger("com.zaxxer.hikari").setLevel(level("WEIR_POOL_LOG_LEVEL", Level.OFF));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /**
     * Drops the WARN lines of {@link WeirConfig}: one per pipedag key Weir ignores, which every command prints
     * itself as {@code warning: ...} (whatever the log level), so that each is said once.
     */
    static final class ConfigWarningsSaidByTheCommand extends Filter<ILoggingEvent> {
        @Override
        public FilterReply decide(ILoggingEvent event) {
            return event.getLevel() == Level.WARN && WeirConfig.class.getName().equals(event.getLoggerName())
                    ? FilterReply.DENY : FilterReply.NEUTRAL;
        }
    }

    /** The level a system property, else an environment variable, of this name gives, else {@code otherwise}. */
    static Level level(String name, Level otherwise) {
        String value = System.getProperty(name, System.getenv(name));
        return value == null || value.isBlank() ? otherwise : Level.toLevel(value.strip(), otherwise);
    }
}
