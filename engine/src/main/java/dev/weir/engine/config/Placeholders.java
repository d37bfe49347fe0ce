package dev.weir.engine.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pipedag-style placeholders in string values: {@code {instance_id}}, {@code {$NAME}} for the
 * environment variable NAME, and {@code {username}}, {@code {password}}, … from a connection's
 * {@code url_attrs_file}. Immutable; {@link #with} gives a copy knowing more names.
 *
 * <p>In strict mode (store arguments, paths, settings) an unknown {@code {name}} is an error, as it
 * is in pipedag. In lenient mode (free-form {@code attrs}) it is left as written, since attrs may
 * hold text with braces of its own.
 */
final class Placeholders {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\$?)([A-Za-z_][A-Za-z0-9_]*)}");

    private final String file;
    private final Map<String, String> environment;
    private final Map<String, String> names;
    private final Map<String, Boolean> secretNames;
    private final Secrets secrets;

    Placeholders(String file, Map<String, String> environment, Map<String, String> names, Secrets secrets) {
        this(file, environment, names, Map.of(), secrets);
    }

    private Placeholders(String file, Map<String, String> environment, Map<String, String> names,
            Map<String, Boolean> secretNames, Secrets secrets) {
        this.file = Objects.requireNonNull(file, "file is null");
        this.environment = Objects.requireNonNull(environment, "environment is null");
        this.names = Map.copyOf(names);
        this.secretNames = Map.copyOf(secretNames);
        this.secrets = Objects.requireNonNull(secrets, "secrets is null");
    }

    /** A copy that also knows {@code more}; when {@code secret}, their values are masked in messages. */
    Placeholders with(Map<String, String> more, boolean secret) {
        Map<String, String> allNames = new HashMap<>(names);
        allNames.putAll(more);
        Map<String, Boolean> allSecret = new HashMap<>(secretNames);
        more.keySet().forEach(k -> allSecret.put(k, secret));
        if (secret) {
            more.values().forEach(secrets::add);
        }
        return new Placeholders(file, environment, allNames, allSecret, secrets);
    }

    /**
     * The text with its placeholders replaced.
     *
     * @param key    the key the text was written under, dotted from the file's root, for messages
     * @param strict whether an unknown {@code {name}} is an error
     */
    String apply(String key, String text, boolean strict) {
        if (text.indexOf('{') < 0) {
            return text;
        }
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(2);
            String replacement;
            if (!m.group(1).isEmpty()) {
                replacement = environment.get(name);
                if (replacement == null) {
                    throw ConfigError.at(file, key, "uses {$" + name + "} but the environment variable " + name
                            + " is not set; set it, or write the value without {$" + name + "}");
                }
                if (Secrets.isSecretName(name)) {
                    secrets.add(replacement);
                }
            } else if (names.containsKey(name)) {
                replacement = names.get(name);
            } else if (strict) {
                throw ConfigError.at(file, key, "uses the unknown placeholder {" + name + "}; expected {instance_id}, "
                        + "{$ENVIRONMENT_VARIABLE}" + (secretNames.isEmpty() ? ""
                                : " or one of the " + secretNames.size() + " names of the url_attrs_file (not listed:"
                                + " that file holds secrets)"));
            } else {
                replacement = m.group();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * Every string in the tree with its placeholders replaced.
     *
     * @param keyOf maps a path inside {@code config} to the key shown in messages
     */
    Config applyAll(Config config, UnaryOperator<String> keyOf, boolean strict) {
        Map<String, Object> replaced = applyMap(config.root().unwrapped(), "", keyOf, strict);
        return ConfigValueFactory.fromMap(replaced, config.origin().description()).toConfig();
    }

    private Map<String, Object> applyMap(Map<String, Object> map, String prefix, UnaryOperator<String> keyOf,
            boolean strict) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(k, applyValue(v, prefix + k, keyOf, strict)));
        return out;
    }

    @SuppressWarnings("unchecked")
    private Object applyValue(Object value, String path, UnaryOperator<String> keyOf, boolean strict) {
        if (value instanceof String s) {
            return apply(keyOf.apply(path), s, strict);
        }
        if (value instanceof Map<?, ?> map) {
            return applyMap((Map<String, Object>) map, path + ".", keyOf, strict);
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                out.add(applyValue(list.get(i), path + "[" + i + "]", keyOf, strict));
            }
            return out;
        }
        return value;
    }
}
