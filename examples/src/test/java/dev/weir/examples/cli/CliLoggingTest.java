package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;

/** The command line's logging, configured in code: the levels and the stderr format logback.xml had. */
class CliLoggingTest {

    @Test
    void warnOnStderrWithWeirAndThePoolAtTheirLevels() {
        LoggerContext context = new LoggerContext();
        CliLogging logging = new CliLogging();
        logging.setContext(context);
        assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, logging.configure(context));

        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertEquals(Level.WARN, root.getLevel());
        ConsoleAppender<?> stderr = (ConsoleAppender<?>) root.getAppender("STDERR");
        assertEquals("System.err", stderr.getTarget());
        assertTrue(stderr.isStarted());
        assertEquals("%-5level %logger{20} - %msg%n", ((PatternLayoutEncoder) stderr.getEncoder()).getPattern());
        // unless the environment says otherwise (it does not in the build)
        if (System.getenv("WEIR_LOG_LEVEL") == null) {
            assertEquals(Level.WARN, context.getLogger("dev.weir").getLevel());
        }
        if (System.getenv("WEIR_POOL_LOG_LEVEL") == null) {
            assertEquals(Level.OFF, context.getLogger("com.zaxxer.hikari").getLevel());
        }
        assertFalse(context.getLogger("dev.weir.engine").isInfoEnabled());
        context.stop();
    }

    @Test
    void theConfigurationsWarningsAreLeftToTheCommandsThatPrintThem() {
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stderr = System.err;
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            // logged when a pipedag.yaml is loaded, and printed by `weir run` as "warning: ..."
            dev.weir.engine.config.WeirConfig config = dev.weir.engine.config.WeirConfig.parseString(
                    "technical_setups: {default: {network_interface: x}}", dev.weir.engine.config.WeirConfig.Syntax.YAML);
            assertEquals(1, config.warnings().size(), config.warnings().toString());
            org.slf4j.LoggerFactory.getLogger("dev.weir.engine.runtime.FlowRun").warn("another warning");
        } finally {
            System.setErr(stderr);
        }
        String text = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertFalse(text.contains("network_interface"), text);
        assertTrue(text.contains("WARN  d.w.e.r.FlowRun - another warning"), text);
    }

    @Test
    void aLevelComesFromTheSystemPropertyOrTheEnvironmentElseTheDefault() {
        System.setProperty("WEIR_TEST_LEVEL", "debug");
        try {
            assertEquals(Level.DEBUG, CliLogging.level("WEIR_TEST_LEVEL", Level.WARN));
        } finally {
            System.clearProperty("WEIR_TEST_LEVEL");
        }
        assertEquals(Level.WARN, CliLogging.level("WEIR_TEST_LEVEL", Level.WARN));
        System.setProperty("WEIR_TEST_LEVEL", "no-such-level");
        try {
            assertEquals(Level.OFF, CliLogging.level("WEIR_TEST_LEVEL", Level.OFF));
        } finally {
            System.clearProperty("WEIR_TEST_LEVEL");
        }
    }

    @Test
    void aConfigurationFileOfOnesOwnIsReadInstead() {
        LoggerContext context = new LoggerContext();
        CliLogging logging = new CliLogging();
        logging.setContext(context);
        System.setProperty("logback.configurationFile", "my-logback.xml");
        try {
            assertEquals(ExecutionStatus.INVOKE_NEXT_IF_ANY, logging.configure(context));
            assertEquals(null, context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR"));
        } finally {
            System.clearProperty("logback.configurationFile");
            context.stop();
        }
    }

    @Test
    void theCommandLineIsConfiguredByIt() {
        // logback found CliLogging through META-INF/services, and read no configuration file
        Logger root = (Logger) org.slf4j.LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        assertTrue(root.getAppender("STDERR") instanceof ConsoleAppender, "root appenders come from CliLogging");
        assertEquals(Level.WARN, root.getLevel());
        java.util.List<String> statuses = root.getLoggerContext().getStatusManager().getCopyOfStatusList().stream()
                .map(ch.qos.logback.core.status.Status::getMessage).toList();
        assertTrue(statuses.stream().anyMatch(m -> m.contains(CliLogging.class.getName())), statuses.toString());
        assertTrue(statuses.stream().noneMatch(m -> m.contains("logback.xml] at")), statuses.toString());
    }
}
