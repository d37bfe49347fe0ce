package dev.weir.stores.postgres;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Quoting and length rules of PostgreSQL identifiers. Every identifier Weir puts into SQL goes
 * through {@link #quote}; every name Weir creates goes through {@link #checkLength}, because
 * PostgreSQL silently truncates names longer than 63 bytes, and two long names could then collide.
 */
final class PgIdentifiers {

    /** NAMEDATALEN - 1 in a default PostgreSQL build. */
    static final int MAX_BYTES = 63;

    private PgIdentifiers() {
    }

    /** {@code a"b} becomes {@code "a""b"}. */
    static String quote(String identifier) {
        if (identifier == null || identifier.isEmpty()) {
            throw new IllegalArgumentException("an SQL identifier must not be empty");
        }
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("an SQL identifier must not contain NUL: " + identifier.replace('\0', '?'));
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    static String qualified(TableLocation location) {
        return quote(location.schema()) + "." + quote(location.table());
    }

    static String columnList(List<String> columns) {
        return columns.stream().map(PgIdentifiers::quote).collect(Collectors.joining(", "));
    }

    /**
     * Fails when {@code name} is longer than PostgreSQL keeps.
     *
     * @param what  what the name is, e.g. "table" or "schema of stage 'raw'"
     * @param where the store, for the message
     */
    static void checkLength(String what, String name, Object where) {
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_BYTES) {
            throw StoreException.of(where + ": " + what + " name '" + name + "' is " + bytes
                    + " bytes long; PostgreSQL keeps at most " + MAX_BYTES
                    + " bytes and would silently truncate it. Choose a shorter name.");
        }
    }
}
