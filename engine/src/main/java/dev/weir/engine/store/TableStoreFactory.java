package dev.weir.engine.store;

/**
 * Entry point of a table store implementation, found by {@link java.util.ServiceLoader} under its
 * {@link #kind()} (e.g. {@code duckdb}, {@code postgres}), the way JDBC drivers are found.
 *
 * <p>Implementations are listed in {@code META-INF/services/dev.weir.engine.store.TableStoreFactory}.
 */
public interface TableStoreFactory {

    /** The short name users put in configuration ({@code table_store.kind}), e.g. {@code duckdb}. */
    String kind();

    /**
     * Opens a store for one instance. The returned store owns its connections and releases them on
     * {@link TableStore#close()}. Implementations validate {@code settings.args()} here and throw a
     * {@link StoreException} naming the offending key (never its value when it may be a secret).
     */
    TableStore open(StoreSettings settings);
}
