package dev.weir.engine.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A {@code url_attrs_file}: a flat mapping of names to values ({@code username: ...},
 * {@code password: ...}), every value a secret, in YAML or HOCON.
 *
 * <p>Nothing of the file's text reaches an error: a malformed line is often a secret itself (a
 * {@code root:$6$...} line of a password file read as a key), so errors name the file, the line
 * and what was expected, and never the line, the key or the value.
 */
final class UrlAttrsFile {

    /** A name usable as a {@code {placeholder}}. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private static final String NOT_SHOWN = " (the line is not shown: the file holds secrets)";

    private UrlAttrsFile() {
    }

    /**
     * Reads the file at {@code path}, named by {@code key} of the configuration {@code file}.
     *
     * @return the names and their values, in file order; a value written as null is empty
     */
    static Map<String, String> read(Path path, String file, String key) {
        if (!Files.isRegularFile(path)) {
            throw ConfigError.at(file, key, "names the file " + path + ", which does not exist (a relative path is"
                    + " read from the configuration's directory)");
        }
        String origin = path.toString();
        WeirConfig.Syntax syntax = ConfigReader.syntaxOf(path.getFileName().toString()).orElseThrow(() ->
                ConfigError.of(origin, "has an unknown file ending; expected .yaml or .yml (YAML) or .conf (HOCON),"
                        + " as named by " + file + ": " + key, null));
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw ConfigError.of(origin, "cannot be read (" + e.getClass().getSimpleName() + ")", null);
        }
        Map<String, String> values = syntax == WeirConfig.Syntax.YAML ? yaml(text, origin) : hocon(text, origin);
        return values;
    }

    private static Map<String, String> yaml(String text, String origin) {
        YamlTree.Parsed parsed;
        try {
            parsed = YamlTree.parse(text, origin, true);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw malformed(origin, at == null ? -1 : at.getLineNr(), "valid YAML");
        } catch (IOException e) {
            throw malformed(origin, -1, "valid YAML");
        }
        if (parsed.tree() == null) {
            return Map.of();
        }
        if (!(parsed.tree() instanceof Map<?, ?> map)) {
            throw malformed(origin, 1, "a mapping of names to values, such as password: ...");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String name = String.valueOf(entry.getKey());
            int line = parsed.keyLines().getOrDefault(name, -1);
            check(origin, line, name, entry.getValue() instanceof Map || entry.getValue() instanceof java.util.List);
            values.put(name, entry.getValue() == null ? "" : String.valueOf(entry.getValue()));
        }
        return values;
    }

    private static Map<String, String> hocon(String text, String origin) {
        Config config;
        try {
            config = ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF)
                    .setOriginDescription(origin)).resolve();
        } catch (ConfigException e) {
            // No cause: HOCON's messages quote the text around the error.
            throw malformed(origin, e.origin() == null ? -1 : e.origin().lineNumber(), "valid HOCON");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> entry : config.root().entrySet()) {
            ConfigValue value = entry.getValue();
            int line = value.origin() == null ? -1 : value.origin().lineNumber();
            check(origin, line, entry.getKey(), value.valueType() == ConfigValueType.OBJECT
                    || value.valueType() == ConfigValueType.LIST);
            values.put(entry.getKey(), value.valueType() == ConfigValueType.NULL ? "" : String.valueOf(value.unwrapped()));
        }
        return values;
    }

    private static void check(String origin, int line, String name, boolean nested) {
        if (!NAME.matcher(name).matches()) {
            throw malformed(origin, line, "name: value, with a name of letters, digits and '_' (such as password:"
                    + " ...)");
        }
        if (nested) {
            throw malformed(origin, line, "name: value with a single value; a section or a list is not allowed");
        }
    }

    private static ConfigError malformed(String origin, int line, String expected) {
        return ConfigError.of(origin, (line > 0 ? "line " + line + ": " : "") + "expected " + expected
                + NOT_SHOWN, null);
    }
}
