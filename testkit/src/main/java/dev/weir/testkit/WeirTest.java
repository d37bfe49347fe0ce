package dev.weir.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A JUnit 5 test class whose test methods may take a {@link FlowTestKit} and an
 * {@link dev.weir.engine.config.InstanceConfig} as parameters: each test gets a fresh kit in a temporary
 * directory and the instance {@link #instance()} on the store {@link #store()}. After each test the kit is
 * closed, which fails the test when a run leaked Arrow memory, and the directory is deleted.
 *
 * <p>With {@code store = POSTGRES} the instance lives, under a random schema prefix, on the server named by the
 * libpq variables ({@code PGHOST}, {@code PGPORT}, {@code PGUSER}, {@code PGPASSWORD}, {@code PGDATABASE}), or,
 * when neither {@code PGHOST} nor {@code PGPORT} is set and {@code CI} is not {@code true}, on an embedded
 * PostgreSQL started once per JVM ({@link dev.weir.testpostgres.TestPostgres}). Without a server the test is
 * skipped with the reason, except under {@code CI=true}, where it fails.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(WeirTestExtension.class)
public @interface WeirTest {

    /** The table store of the injected instance. */
    Store store() default Store.DUCKDB;

    /** The name of the injected instance. */
    String instance() default "mini";

    /** Where the injected instance keeps its tables. */
    enum Store {
        /** An embedded DuckDB file in the test's temporary directory. */
        DUCKDB,
        /** The PostgreSQL server of the libpq variables, else an embedded one. */
        POSTGRES
    }
}
