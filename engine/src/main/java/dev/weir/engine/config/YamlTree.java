package dev.weir.engine.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * YAML text as plain maps, lists and scalars, read token by token so that every key keeps its line:
 * a key written twice in one mapping is an error naming the key and both lines (Jackson's own
 * duplicate detection names only the second), and the caller learns the line of each top-level key.
 *
 * <p>For a file of secrets the duplicate error names the lines only: a key of such a file may be a
 * mangled secret (a {@code user:password} line read as a key).
 */
final class YamlTree {

    /** Thread-safe once built; creates one parser per call. */
    private static final YAMLFactory FACTORY = new YAMLFactory();

    /**
     * @param tree     the document: a map, a list, a scalar, or null when empty
     * @param keyLines the line of each key of the top-level mapping (empty when it is not a mapping)
     */
    record Parsed(Object tree, Map<String, Integer> keyLines) {
    }

    private final String origin;
    private final boolean secret;
    private final Map<String, Integer> topLevelKeyLines = new LinkedHashMap<>();

    private YamlTree(String origin, boolean secret) {
        this.origin = origin;
        this.secret = secret;
    }

    /**
     * Parses one YAML document.
     *
     * @throws IOException      when the text is not YAML (Jackson's exception, with its location)
     * @throws ConfigError      when a mapping has a key twice
     */
    static Parsed parse(String text, String origin, boolean secret) throws IOException {
        YamlTree reader = new YamlTree(origin, secret);
        try (JsonParser parser = FACTORY.createParser(text)) {
            JsonToken first = parser.nextToken();
            Object tree = first == null ? null : reader.value(parser, "", 0);
            return new Parsed(tree, Map.copyOf(reader.topLevelKeyLines));
        }
    }

    private Object value(JsonParser parser, String path, int depth) throws IOException {
        JsonToken token = parser.currentToken();
        return switch (token) {
            case START_OBJECT -> mapping(parser, path, depth);
            case START_ARRAY -> sequence(parser, path, depth);
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT -> parser.getNumberValue();
            case VALUE_NUMBER_FLOAT -> parser.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            case VALUE_EMBEDDED_OBJECT -> parser.getEmbeddedObject();
            default -> throw new IOException("unexpected YAML token " + token + " at line "
                    + parser.currentTokenLocation().getLineNr());
        };
    }

    private Map<String, Object> mapping(JsonParser parser, String path, int depth) throws IOException {
        Map<String, Object> map = new LinkedHashMap<>();
        Map<String, Integer> lines = new HashMap<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
            String key = parser.currentName();
            int line = parser.currentTokenLocation().getLineNr();
            Integer earlier = lines.putIfAbsent(key, line);
            if (earlier != null) {
                throw duplicate(path, key, earlier, line);
            }
            if (depth == 0) {
                topLevelKeyLines.put(key, line);
            }
            parser.nextToken();
            map.put(key, value(parser, path.isEmpty() ? key : path + "." + key, depth + 1));
        }
        return map;
    }

    private List<Object> sequence(JsonParser parser, String path, int depth) throws IOException {
        List<Object> list = new ArrayList<>();
        int index = 0;
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            list.add(value(parser, path + "[" + index++ + "]", depth + 1));
        }
        return list;
    }

    private ConfigError duplicate(String path, String key, int firstLine, int secondLine) {
        if (secret) {
            return ConfigError.of(origin, "line " + secondLine + " repeats the key of line " + firstLine
                    + "; expected each key once (the lines are not shown: the file holds secrets)", null);
        }
        String dotted = path.isEmpty() ? key : path + "." + key;
        return ConfigError.at(origin, dotted, "is written twice, on line " + firstLine + " and on line "
                + secondLine + "; expected each key once in a mapping (YAML keeps only one of them: remove the other)");
    }
}
