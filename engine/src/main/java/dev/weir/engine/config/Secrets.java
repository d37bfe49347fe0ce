package dev.weir.engine.config;

import java.util.Comparator;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What must not reach a message or a log line, and how to mask it. A value is secret when its key
 * is named like a secret ({@code password}, {@code token}, …), when it came from an attrs file or
 * a {@code url_attrs_file}, or when it holds a URL password. One instance collects the secret
 * values met while one instance configuration is resolved; it is not shared between threads.
 */
final class Secrets {

    static final String MASK = "***";

    private static final Pattern SECRET_KEY =
            Pattern.compile(".*(password|passwd|secret|token|credential|api_key|apikey|private_key).*");
    /** {@code scheme://user:password@host}: the password part. */
    private static final Pattern URL_PASSWORD = Pattern.compile("(://[^:/@\\s]*:)[^@\\s]*@");
    /** {@code ?password=...} or {@code &password=...} in a URL query. */
    private static final Pattern QUERY_PASSWORD = Pattern.compile("([?&](?:password|token|secret)=)[^&\\s]*",
            Pattern.CASE_INSENSITIVE);

    private final Set<String> values = new HashSet<>();

    /** Whether the last segment of a dotted key names a secret. */
    static boolean isSecretKey(String key) {
        if (key == null) {
            return false;
        }
        int dot = key.lastIndexOf('.');
        String last = key.substring(dot + 1).toLowerCase(Locale.ROOT);
        return SECRET_KEY.matcher(last).matches();
    }

    /** Whether an environment variable is named like a secret (its value is then masked). */
    static boolean isSecretName(String name) {
        return SECRET_KEY.matcher(name.toLowerCase(Locale.ROOT)).matches();
    }

    /** The text with URL passwords replaced by {@value #MASK}. */
    static String maskUrlPasswords(String text) {
        String masked = URL_PASSWORD.matcher(text).replaceAll("$1" + MASK + "@");
        return QUERY_PASSWORD.matcher(masked).replaceAll("$1" + MASK);
    }

    /** Remembers a value that must be masked wherever it appears. Empty values are ignored. */
    void add(String value) {
        if (value != null && !value.isEmpty()) {
            values.add(value);
        }
    }

    boolean isEmpty() {
        return values.isEmpty();
    }

    /** Whether the text contains a remembered secret value. */
    boolean containsSecret(String text) {
        for (String v : values) {
            if (text.contains(v)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The value as it may appear in a message about {@code key}: {@value #MASK} when the key names a
     * secret, otherwise with remembered secret values and URL passwords masked.
     */
    String mask(String key, String value) {
        if (value == null) {
            return null;
        }
        if (isSecretKey(key)) {
            return MASK;
        }
        String masked = value;
        // Longest first, so that a secret containing another is masked whole.
        for (String v : values.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList()) {
            masked = masked.replace(v, MASK);
        }
        return maskUrlPasswords(masked);
    }
}
