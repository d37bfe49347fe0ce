/**
 * The {@code postgres} table store: one PostgreSQL database holds the tables of one or more
 * instances, each stage of an instance as a schema {@code <schema_prefix><stage><schema_suffix>}.
 *
 * <p><b>Where to look.</b>
 * <ul>
 *   <li>{@link dev.weir.stores.postgres.PostgresStoreFactory} — the entry point and its arguments;
 *       {@code PgConnectionSettings} reads them (key, then {@code url}, then {@code PG*} variables),
 *       {@code PgPool} connects and explains connection failures.</li>
 *   <li>{@code PostgresTableStore} — the {@code TableStore}, answering through one collaborator per
 *       concern: {@code PgStageNames} (stage to schema, name checks), {@code PgStageTransactions} (schema
 *       swap: {@code <schema>__tx} renamed to {@code <schema>} in one transaction), {@code PgKeptAttempts},
 *       {@code PgTableWrites} (whole tables, copies), {@code PgSlicedTables} (appends),
 *       {@code PgTableReads}, {@code PgInstanceData}, {@code PgForeignStages}.</li>
 *   <li>{@code ArrowCopyColumns}, {@code CopyBuffer}, {@code PgNumeric}, {@code PgCopyWriter} —
 *       Arrow into PostgreSQL by {@code COPY ... (FORMAT binary)}, one batch at a time.</li>
 *   <li>{@code ResultSetColumns}, {@code PgArrowReader} — PostgreSQL into Arrow through a cursor.</li>
 *   <li>{@code PgMetadata} — schema {@code weir_metadata}: versions, committed stages, cache entries.</li>
 *   <li>{@code PgAdvisoryLocks} — the lock manager; {@code PgErrors} — which failures are transient.</li>
 * </ul>
 *
 * <p>Every identifier is quoted, and every name Weir creates is checked against PostgreSQL's 63-byte
 * limit ({@code PgIdentifiers}). No class logs or prints the password.
 */
package dev.weir.stores.postgres;
