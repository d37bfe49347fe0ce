package dev.weir.engine.config;

/**
 * A configuration that cannot be used. The message names the file, the key, the value found (unless
 * the key holds a secret) and what was expected, e.g.
 * {@code weir.yaml: instances.mini.cache_validation.mode: 'sometimes' is not one of normal, ...}.
 */
public class ConfigError extends RuntimeException {

    private final String file;
    private final String key;

    public ConfigError(String file, String key, String value, String expected) {
        this(file, key, value, expected, null);
    }

    public ConfigError(String file, String key, String value, String expected, Throwable cause) {
        super(file + ": " + key + ": " + (value == null ? "" : "'" + value + "' ") + "- expected " + expected,
                cause);
        this.file = file;
        this.key = key;
    }

    /** A message that does not fit the key/value/expected form (e.g. an unreadable file). */
    public static ConfigError of(String file, String message, Throwable cause) {
        return new ConfigError(file, null, message, cause);
    }

    /**
     * A message about one key that does not fit the value/expected form, e.g.
     * {@code weir.yaml: technical_setups.default.fail_fst: not a known key ...}. The message must
     * not contain a secret.
     */
    public static ConfigError at(String file, String key, String message) {
        return new ConfigError(file, key, key + ": " + message, (Throwable) null);
    }

    private ConfigError(String file, String key, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
        this.key = key;
    }

    /** The file (or resource) the error came from. */
    public String file() {
        return file;
    }

    /** The key, dotted from the root, or null when the error is about the whole file. */
    public String key() {
        return key;
    }
}
