package dev.weir.stores.postgres;

import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import dev.weir.engine.store.StoreSettings;

/**
 * The {@code postgres} table store, found by {@link java.util.ServiceLoader}.
 *
 * <p>Arguments: {@code url} ({@code postgresql://user:password@host:5432/db} or
 * {@code jdbc:postgresql://host:5432/db}) or {@code host}/{@code port}/{@code database};
 * {@code user}/{@code password}; absent values come from {@code PGHOST}, {@code PGPORT},
 * {@code PGUSER}, {@code PGPASSWORD}, {@code PGDATABASE}. {@code schema_prefix}/{@code schema_suffix}
 * isolate instances in one database; {@code pool_size} fixes the pool's size (unset: it starts at 8 and
 * grows to what each run may hold at once); {@code connection_timeout} (default {@code 30s}) bounds the
 * wait for a connection, a restarting server included; {@code lock_keepalive} (default {@code 10s}) is how
 * often a held instance lock is checked on its session.
 */
public final class PostgresStoreFactory implements TableStoreFactory {

    @Override
    public String kind() {
        return PostgresTableStore.KIND;
    }

    @Override
    public TableStore open(StoreSettings settings) {
        return PostgresTableStore.open(settings, System.getenv());
    }
}
