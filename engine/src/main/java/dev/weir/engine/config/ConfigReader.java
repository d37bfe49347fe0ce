package dev.weir.engine.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads HOCON and YAML text into one {@link Config} tree, so that a single reader serves both
 * formats and every value keeps the file name as its origin. For files of secrets, parse errors
 * give only the line: parser messages quote the offending text.
 */
final class ConfigReader {

    private ConfigReader() {
    }

    /** The syntax a file name implies: {@code .conf} is HOCON, {@code .yaml}/{@code .yml} YAML. */
    static Optional<WeirConfig.Syntax> syntaxOf(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".conf") || lower.endsWith(".hocon")) {
            return Optional.of(WeirConfig.Syntax.HOCON);
        }
        if (lower.endsWith(".yaml") || lower.endsWith(".yml")) {
            return Optional.of(WeirConfig.Syntax.YAML);
        }
        return Optional.empty();
    }

    static Config readFile(Path file, String origin, boolean secret) {
        WeirConfig.Syntax syntax = syntaxOf(file.getFileName().toString()).orElseThrow(() -> ConfigError.of(origin,
                "has an unknown file ending; expected .conf (HOCON), .yaml or .yml (YAML)", null));
        if (!Files.isRegularFile(file)) {
            throw ConfigError.of(origin, "no such file (" + file.toAbsolutePath() + ")", null);
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw ConfigError.of(origin, "cannot be read: " + e.getMessage(), e);
        }
        return parse(text, syntax, origin, secret);
    }

    /**
     * Reads a file of secrets named by {@code key} in the configuration {@code file}; a missing file
     * is reported against that key.
     */
    static Config readSecretsFile(Path path, String file, String key) {
        if (!Files.isRegularFile(path)) {
            throw ConfigError.at(file, key, "names the file " + path + ", which does not exist (a relative path is"
                    + " read from the configuration's directory)");
        }
        return readFile(path, path.toString(), true);
    }

    static Config readResource(ClassLoader loader, String name) {
        WeirConfig.Syntax syntax = syntaxOf(name).orElseThrow(() -> ConfigError.of(name,
                "has an unknown file ending; expected .conf (HOCON), .yaml or .yml (YAML)", null));
        try (InputStream in = loader.getResourceAsStream(name)) {
            if (in == null) {
                throw ConfigError.of(name, "no such resource on the class path", null);
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), syntax, name, false);
        } catch (IOException e) {
            throw ConfigError.of(name, "cannot be read: " + e.getMessage(), e);
        }
    }

    static Config parse(String text, WeirConfig.Syntax syntax, String origin, boolean secret) {
        return switch (syntax) {
            case HOCON -> parseHocon(text, origin, secret);
            case YAML -> parseYaml(text, origin, secret);
        };
    }

    private static Config parseHocon(String text, String origin, boolean secret) {
        try {
            ConfigParseOptions options = ConfigParseOptions.defaults()
                    .setSyntax(ConfigSyntax.CONF)
                    .setOriginDescription(origin);
            return ConfigFactory.parseString(text, options).resolve();
        } catch (ConfigException e) {
            int line = e.origin() == null ? -1 : e.origin().lineNumber();
            if (secret) {
                return failSecret(origin, "HOCON", line);
            }
            String message = e.getMessage();
            String prefix = e.origin() == null ? "" : e.origin().description() + ": ";
            if (message.startsWith(prefix)) {
                message = message.substring(prefix.length());
            }
            throw ConfigError.of(origin, "is not valid HOCON: " + message, e);
        }
    }

    private static Config parseYaml(String text, String origin, boolean secret) {
        Object tree;
        try {
            tree = YamlTree.parse(text, origin, secret).tree();
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            if (secret) {
                return failSecret(origin, "YAML", at == null ? -1 : at.getLineNr());
            }
            throw ConfigError.of(origin, "is not valid YAML: " + e.getOriginalMessage()
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"), e);
        } catch (IOException e) {
            throw ConfigError.of(origin, "cannot be read as YAML" + (secret ? "" : ": " + e.getMessage()),
                    secret ? null : e);
        }
        if (tree == null) {
            return ConfigFactory.empty(origin);
        }
        if (!(tree instanceof Map<?, ?> map)) {
            throw new ConfigError(origin, "(top level)", null,
                    "a mapping of keys to values, found a " + describeType(tree));
        }
        // fromMap, not parseMap: parseMap would read a dotted top-level key as a path.
        return ConfigValueFactory.fromMap(plainMap(map), origin).toConfig();
    }

    private static Config failSecret(String origin, String format, int line) {
        // No cause: parser messages quote the text around the error, which may be a secret.
        throw ConfigError.of(origin, "is not valid " + format + (line > 0 ? " (line " + line + ")" : ""), null);
    }

    /** Jackson's tree as the plain values Typesafe Config accepts. */
    private static Map<String, Object> plainMap(Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), plain(v)));
        return out;
    }

    private static Object plain(Object value) {
        if (value == null || value instanceof String || value instanceof Boolean || value instanceof Integer
                || value instanceof Long || value instanceof Double) {
            return value;
        }
        if (value instanceof Map<?, ?> map) {
            return plainMap(map);
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            list.forEach(v -> out.add(plain(v)));
            return out;
        }
        if (value instanceof BigInteger big) {
            return big.bitLength() < 64 ? (Object) big.longValue() : big.toString();
        }
        if (value instanceof BigDecimal || value instanceof Float) {
            return ((Number) value).doubleValue();
        }
        if (value instanceof Number number) {
            return number.longValue();
        }
        return String.valueOf(value);
    }

    private static String describeType(Object value) {
        if (value instanceof List<?>) {
            return "list";
        }
        return value instanceof String ? "string" : value.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }
}
