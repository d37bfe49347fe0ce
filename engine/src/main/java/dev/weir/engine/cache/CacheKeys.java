package dev.weir.engine.cache;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Hashes for cache keys: SHA-256 over length-prefixed parts, so that {@code ("ab","c")} and
 * {@code ("a","bc")} differ. Values (cache function results, constants, value outputs, instance
 * attributes) are hashed through their canonical JSON form, so equal values give equal keys whatever
 * the JVM: object fields and map entries sorted by name, set elements sorted by their own canonical
 * JSON, bean properties alphabetically. Nothing depends on iteration order, hash seeds or identity.
 */
public final class CacheKeys {

    /** The JSON mapper used for cache metadata. Thread-safe once configured. */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    /** The mapper behind {@link #canonicalJson}: sets are written sorted (see {@link SortedSetSerializer}). */
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .addModule(new SimpleModule("weir-canonical-sets").addSerializer(new SortedSetSerializer()))
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .build();

    private CacheKeys() {
    }

    /** The hex SHA-256 of the parts, each length-prefixed. Null parts hash as a marker distinct from "". */
    public static String hash(String... parts) {
        MessageDigest digest = sha256();
        for (String part : parts) {
            if (part == null) {
                digest.update((byte) 0);
                continue;
            }
            byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
            digest.update((byte) 1);
            digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
            digest.update((byte) ':');
            digest.update(bytes);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * The canonical JSON of a value, for hashing: the same text for equal values in any JVM. Maps of any
     * key type become objects with sorted fields; sets become arrays sorted by their elements' canonical
     * JSON; lists and arrays keep their order.
     *
     * @throws IllegalArgumentException when Jackson cannot write the value as JSON
     */
    public static String canonicalJson(Object value) {
        try {
            return CANONICAL.writeValueAsString(canonicalTree(value));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot hash a value of " + value.getClass().getName()
                    + " through JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The hash of a value's canonical JSON. */
    public static String hashValue(Object value) {
        return hash("VALUE", canonicalJson(value));
    }

    private static JsonNode canonicalTree(Object value) {
        JsonNode tree;
        try {
            tree = CANONICAL.valueToTree(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot hash a value of " + value.getClass().getName()
                    + " through JSON: " + e.getMessage(), e);
        }
        return sorted(tree);
    }

    /** A copy of {@code node} with every object's fields in name order. */
    private static JsonNode sorted(JsonNode node) {
        if (node == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        if (node.isObject()) {
            TreeMap<String, JsonNode> fields = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                fields.put(e.getKey(), sorted(e.getValue()));
            }
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            fields.forEach(out::set);
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> out.add(sorted(element)));
            return out;
        }
        return node;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    /**
     * Writes a set as an array sorted by its elements' canonical JSON: a {@code HashSet} of enums or a
     * {@code Set.of(...)} iterates in an order that changes from one JVM to the next.
     */
    @SuppressWarnings("rawtypes")
    private static final class SortedSetSerializer extends StdSerializer<Set> {

        SortedSetSerializer() {
            super(Set.class);
        }

        @Override
        public void serialize(Set value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            List<JsonNode> elements = new ArrayList<>();
            for (Object element : value) {
                elements.add(canonicalTree(element));
            }
            elements.sort(Comparator.comparing(JsonNode::toString));
            gen.writeStartArray();
            for (JsonNode element : elements) {
                gen.writeTree(element);
            }
            gen.writeEndArray();
        }
    }
}
