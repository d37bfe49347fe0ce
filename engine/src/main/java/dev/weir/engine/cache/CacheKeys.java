package dev.weir.engine.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Hashes for cache keys: SHA-256 over length-prefixed parts, so that {@code ("ab","c")} and
 * {@code ("a","bc")} differ. Values (cache function results, constants) are hashed through their
 * canonical JSON form (sorted map keys), so equal values give equal keys across runs and JVMs.
 */
public final class CacheKeys {

    /** The JSON mapper used for hashing values and for cache metadata. Thread-safe once configured. */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
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

    /** The canonical JSON of a value, for hashing. */
    public static String canonicalJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot hash a value of " + value.getClass().getName()
                    + " through JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
