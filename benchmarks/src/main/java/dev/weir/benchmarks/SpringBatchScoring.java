package dev.weir.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.batch.core.BatchStatus;
import org.springframework.batch.core.Job;
import org.springframework.batch.core.JobExecution;
import org.springframework.batch.core.JobParameters;
import org.springframework.batch.core.Step;
import org.springframework.batch.core.StepExecution;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.configuration.support.DefaultBatchConfiguration;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.launch.JobLauncher;
import org.springframework.batch.core.partition.support.Partitioner;
import org.springframework.batch.core.partition.support.TaskExecutorPartitionHandler;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.item.ExecutionContext;
import org.springframework.batch.item.ItemProcessor;
import org.springframework.batch.item.database.JdbcBatchItemWriter;
import org.springframework.batch.item.database.JdbcCursorItemReader;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseBuilder;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseType;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The reference of the batched benchmark, as a Java team would write it without Weir: a Spring Batch
 * (5.2, plain Java configuration, no Spring Boot) partitioned step. A {@link Partitioner} splits the
 * orders by {@code customer_id % partitions}; a {@link TaskExecutorPartitionHandler} runs the
 * partitions on a pool of {@code threads}; each partition is a chunk-oriented step:
 * {@link JdbcCursorItemReader} → {@link ItemProcessor} computing {@link ScoreFlow#score} →
 * {@link JdbcBatchItemWriter} into a table of the output's definition. The job repository is an
 * embedded H2 database (Spring Batch's resourceless repository does not support partitioned steps).
 *
 * <p>The reader's connection runs with auto-commit off so that PostgreSQL streams the cursor in
 * fetches of {@link #CHUNK} rows instead of loading a whole partition, and the pool adds
 * {@code reWriteBatchedInserts=true} so that each chunk's batch of inserts becomes multi-row
 * {@code INSERT}s: the settings a team tuning this job for PostgreSQL would use.
 */
final class SpringBatchScoring {

    /** Commit interval and cursor fetch size. */
    static final int CHUNK = 10_000;

    /** What the job reads and writes, and how it splits the work. */
    record Settings(String jdbcUrl, java.util.Properties credentials, String source, String target, int partitions,
                    int threads) {
    }

    /** One input row. */
    record Order(long id, int customerId, double amount) {
    }

    /** One output row. */
    record Scored(long id, int customerId, double score) {
    }

    private SpringBatchScoring() {
    }

    /**
     * Builds the Spring context (untimed), runs the job and returns its written row count; fails unless
     * the job completes.
     *
     * @param timer receives the job's wall time in seconds
     */
    static long run(Settings settings, java.util.function.DoubleConsumer timer) throws Exception {
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext()) {
            context.registerBean(Settings.class, () -> settings);
            context.register(JobConfig.class);
            context.refresh();
            JobLauncher launcher = context.getBean(JobLauncher.class);
            Job job = context.getBean(Job.class);
            long start = System.nanoTime();
            JobExecution execution = launcher.run(job, new JobParameters());
            timer.accept(Rounds.seconds(start));
            if (execution.getStatus() != BatchStatus.COMPLETED) {
                throw new IllegalStateException("Spring Batch job ended " + execution.getStatus() + ": "
                        + execution.getAllFailureExceptions());
            }
            long written = 0;
            for (StepExecution step : execution.getStepExecutions()) {
                if (step.getStepName().startsWith("score:")) {
                    written += step.getWriteCount();
                }
            }
            return written;
        }
    }

    /** The job in plain Java configuration; the repository's data source is the H2 bean {@code dataSource}. */
    @Configuration(proxyBeanMethods = false)
    static class JobConfig extends DefaultBatchConfiguration {

        @Bean(destroyMethod = "shutdown")
        DataSource dataSource() {
            return new EmbeddedDatabaseBuilder().generateUniqueName(true).setType(EmbeddedDatabaseType.H2)
                    .addScript("/org/springframework/batch/core/schema-h2.sql").build();
        }

        @Bean
        PlatformTransactionManager transactionManager(@Qualifier("dataSource") DataSource dataSource) {
            return new JdbcTransactionManager(dataSource);
        }

        @Bean(destroyMethod = "close")
        HikariDataSource ordersDataSource(Settings settings) {
            HikariConfig config = new HikariConfig();
            config.setPoolName("spring-batch-orders");
            config.setJdbcUrl(settings.jdbcUrl());
            config.setDataSourceProperties(settings.credentials());
            config.addDataSourceProperty("reWriteBatchedInserts", "true");
            // each partition thread holds a reader connection and a writer connection
            config.setMaximumPoolSize(2 * settings.threads() + 1);
            return new HikariDataSource(config);
        }

        @Bean
        PlatformTransactionManager ordersTransactionManager(@Qualifier("ordersDataSource") DataSource orders) {
            return new JdbcTransactionManager(orders);
        }

        @Bean
        @StepScope
        JdbcCursorItemReader<Order> reader(@Qualifier("ordersDataSource") DataSource orders, Settings settings,
                                          @Value("#{stepExecutionContext['bucket']}") Integer bucket) {
            JdbcCursorItemReader<Order> reader = new JdbcCursorItemReader<>();
            reader.setName("orders-" + bucket);
            reader.setDataSource(orders);
            reader.setSql("SELECT id, customer_id, amount FROM " + settings.source() + " WHERE customer_id % "
                    + settings.partitions() + " = ?");
            reader.setPreparedStatementSetter(ps -> ps.setInt(1, bucket));
            reader.setRowMapper((rs, row) -> new Order(rs.getLong(1), rs.getInt(2), rs.getDouble(3)));
            reader.setFetchSize(CHUNK);
            reader.setConnectionAutoCommit(false);
            reader.setSaveState(false);
            reader.setVerifyCursorPosition(false);
            return reader;
        }

        @Bean
        JdbcBatchItemWriter<Scored> writer(@Qualifier("ordersDataSource") DataSource orders, Settings settings) {
            JdbcBatchItemWriter<Scored> writer = new JdbcBatchItemWriter<>();
            writer.setDataSource(orders);
            writer.setSql("INSERT INTO " + settings.target() + " (id, customer_id, score) VALUES (?, ?, ?)");
            writer.setItemPreparedStatementSetter((item, ps) -> {
                ps.setLong(1, item.id());
                ps.setInt(2, item.customerId());
                ps.setDouble(3, item.score());
            });
            return writer;
        }

        @Bean
        Step worker(JobRepository repository, @Qualifier("ordersTransactionManager") PlatformTransactionManager tx,
                    JdbcCursorItemReader<Order> reader, JdbcBatchItemWriter<Scored> writer) {
            ItemProcessor<Order, Scored> processor = order ->
                    new Scored(order.id(), order.customerId(), ScoreFlow.score(order.amount(), order.customerId()));
            return new StepBuilder("score", repository).<Order, Scored>chunk(CHUNK, tx)
                    .reader(reader).processor(processor).writer(writer).build();
        }

        @Bean(destroyMethod = "shutdown")
        ThreadPoolTaskExecutor partitionThreads(Settings settings) {
            ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
            executor.setCorePoolSize(settings.threads());
            executor.setMaxPoolSize(settings.threads());
            executor.setThreadNamePrefix("partition-");
            return executor;
        }

        @Bean
        TaskExecutorPartitionHandler partitionHandler(@Qualifier("worker") Step worker,
                                                      ThreadPoolTaskExecutor partitionThreads, Settings settings) {
            TaskExecutorPartitionHandler handler = new TaskExecutorPartitionHandler();
            handler.setStep(worker);
            handler.setTaskExecutor(partitionThreads);
            handler.setGridSize(settings.partitions());
            return handler;
        }

        @Bean
        Step manager(JobRepository repository, TaskExecutorPartitionHandler handler) {
            Partitioner byCustomer = gridSize -> {
                Map<String, ExecutionContext> partitions = new LinkedHashMap<>();
                for (int i = 0; i < gridSize; i++) {
                    ExecutionContext context = new ExecutionContext();
                    context.putInt("bucket", i);
                    partitions.put("partition" + i, context);
                }
                return partitions;
            };
            return new StepBuilder("score-manager", repository).partitioner("score", byCustomer)
                    .partitionHandler(handler).build();
        }

        @Bean
        Job job(JobRepository repository, @Qualifier("manager") Step manager) {
            return new JobBuilder("score-orders", repository).start(manager).build();
        }
    }
}
