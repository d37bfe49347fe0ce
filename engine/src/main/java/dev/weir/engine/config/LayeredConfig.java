package dev.weir.engine.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * One instance's settings, merged from its layers (the instance's section, {@code __any__}, the
 * technical setup, Weir's defaults), with typed getters whose errors name the key where the user
 * wrote the value, e.g. {@code technical_setups.default.fail_fast} rather than the merged path.
 * Immutable once built.
 */
final class LayeredConfig {

    /** One source of settings, and the dotted key it sits under (e.g. {@code instances.mini}). */
    record Layer(String key, Config config) {
        Layer {
            Objects.requireNonNull(key, "key is null");
            Objects.requireNonNull(config, "config is null");
        }
    }

    private final String file;
    private final List<Layer> layers;
    private final Config config;
    private final Secrets secrets;

    private LayeredConfig(String file, List<Layer> layers, Config config, Secrets secrets) {
        this.file = file;
        this.layers = List.copyOf(layers);
        this.config = config;
        this.secrets = secrets;
    }

    /** The layers, most specific first, deep-merged. */
    static LayeredConfig merge(String file, List<Layer> layers, Secrets secrets) {
        Config merged = layers.get(0).config();
        for (Layer layer : layers.subList(1, layers.size())) {
            merged = merged.withFallback(layer.config());
        }
        return new LayeredConfig(file, layers, merged, secrets);
    }

    /** The same layers over another (e.g. substituted) version of the merged settings. */
    LayeredConfig withConfig(Config other) {
        return new LayeredConfig(file, layers, other, secrets);
    }

    Config config() {
        return config;
    }

    String file() {
        return file;
    }

    /**
     * The key, dotted from the file's root, where the value at {@code path} was written; {@code path} may hold
     * list indexes ({@code tables[1]}, {@code steps[0].name}): an element of the list written there.
     */
    String keyOf(String path) {
        int index = path.indexOf('[');
        String written = index < 0 ? path : path.substring(0, index); // the list's own key
        for (Layer layer : layers) {
            if (layer.config().hasPathOrNull(written)) {
                return layer.key() + "." + path;
            }
        }
        return layers.get(0).key() + "." + path;
    }

    /** How specific the layer that sets {@code path} is: 0 for the instance itself; larger is less specific. */
    int rank(String path) {
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).config().hasPathOrNull(path)) {
                return i;
            }
        }
        return Integer.MAX_VALUE;
    }

    boolean has(String path) {
        return config.hasPath(path);
    }

    boolean bool(String path) {
        return read(path, "a boolean (true or false)", () -> config.getBoolean(path));
    }

    /** A whole number of at least 1. */
    int positiveInt(String path) {
        int value = read(path, "a whole number of at least 1", () -> config.getInt(path));
        if (value < 1) {
            throw wrong(path, "a whole number of at least 1", null);
        }
        return value;
    }

    /** A HOCON duration such as {@code 10 minutes}, {@code 500ms} or {@code 2s}; a bare number is milliseconds. */
    Duration duration(String path) {
        Duration value = read(path, "a duration such as '10 minutes', '30s' or '500ms'", () -> config.getDuration(path));
        if (value.isNegative()) {
            throw wrong(path, "a duration that is not negative", null);
        }
        return value;
    }

    /** A duration above zero: a bound on waiting, which zero would turn into "fail at once". */
    Duration positiveDuration(String path) {
        Duration value = duration(path);
        if (value.isZero()) {
            throw wrong(path, "a duration above zero such as '30 minutes' or '2 hours'", null);
        }
        return value;
    }

    /**
     * A size in bytes above zero, as Typesafe Config reads sizes ({@code 512MiB}, {@code 2 GiB}, {@code 64M},
     * a bare number of bytes), or {@code unlimited} for {@link Long#MAX_VALUE}.
     */
    long bytesOrUnlimited(String path) {
        String expected = "a size above zero such as '512MiB', '2GiB' or '700000' (bytes), or 'unlimited'";
        value(path);
        if (config.getValue(path).valueType() == ConfigValueType.STRING
                && config.getString(path).trim().equalsIgnoreCase("unlimited")) {
            return Long.MAX_VALUE;
        }
        Long value = read(path, expected, () -> config.getBytes(path));
        if (value <= 0) {
            throw wrong(path, expected, null);
        }
        return value;
    }

    String string(String path) {
        ConfigValue value = value(path);
        if (value instanceof ConfigObject object) {
            // Name the keys only: the values may be secrets.
            throw new ConfigError(file, keyOf(path), null, "a single value (text), found a section with keys "
                    + new TreeSet<>(object.keySet()));
        }
        if (value.valueType() == ConfigValueType.LIST) {
            throw new ConfigError(file, keyOf(path), null, "a single value (text), found a list");
        }
        return String.valueOf(value.unwrapped());
    }

    Optional<String> optionalString(String path) {
        return config.hasPath(path) ? Optional.of(string(path)) : Optional.empty();
    }

    /** A value from a fixed set, read by {@code parse}; {@code expected} lists the accepted names. */
    <T> T choice(String path, Function<String, Optional<T>> parse, String expected) {
        return parse.apply(string(path)).orElseThrow(() -> wrong(path, expected, null));
    }

    /** An error about the value at {@code path}, masked if it is or holds a secret. */
    ConfigError wrong(String path, String expected, Throwable cause) {
        String key = keyOf(path);
        String shown = config.hasPathOrNull(path) ? display(value(path)) : null;
        String masked = secrets.mask(key, shown);
        // Typesafe's messages may quote the value: keep the cause only when the value is shown as is.
        boolean keepCause = masked == null || masked.equals(shown);
        return new ConfigError(file, key, masked, expected, keepCause ? cause : null);
    }

    private static String display(ConfigValue value) {
        return value.valueType() == ConfigValueType.NULL ? "null" : String.valueOf(value.unwrapped());
    }

    private ConfigValue value(String path) {
        if (!config.hasPathOrNull(path)) {
            throw ConfigError.at(file, keyOf(path), "is missing; Weir's reference.conf sets a default for it,"
                    + " so the class path lacks Weir's reference.conf or a section replaced it");
        }
        return config.getIsNull(path) ? ConfigValueFactory.fromAnyRef(null) : config.getValue(path);
    }

    private <T> T read(String path, String expected, ConfigRead<T> reader) {
        value(path);
        try {
            return reader.read();
        } catch (ConfigException e) {
            throw wrong(path, expected, e);
        }
    }

    @FunctionalInterface
    private interface ConfigRead<T> {
        T read();
    }
}
