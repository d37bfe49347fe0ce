package dev.weir.stores.duckdb;

import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;

/** The {@code duckdb} table store: an embedded DuckDB file per instance. See {@link DuckDbConfig} for keys. */
public final class DuckDbStoreFactory implements TableStoreFactory {

    static final String KIND = "duckdb";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public TableStore open(StoreSettings settings) {
        return new DuckDbTableStore(settings, DuckDbConfig.from(settings));
    }
}
