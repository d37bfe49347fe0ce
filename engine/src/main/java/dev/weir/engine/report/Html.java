package dev.weir.engine.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.weir.engine.cache.CacheKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Escaping for HTML text, attributes and inline scripts, and the page template. */
final class Html {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([a-z_]+)}}");

    private Html() {
    }

    /** {@code text} as HTML text or a quoted attribute value; null as the empty string. */
    static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * {@code json} as the content of a {@code <script type="application/json">} element: {@code <}, {@code >}
     * and {@code &} as JSON escapes, so no text in it can close the element or open a comment.
     */
    static String scriptJson(JsonNode json) {
        try {
            return CacheKeys.JSON.writeValueAsString(json).replace("<", "\\u003c").replace(">", "\\u003e")
                    .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029");
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A script library's source as the content of a {@code <script>} element. HTML ends a script at
     * {@code </script} and treats {@code <!--} and {@code <script} in it specially; in a minified bundle
     * these occur only inside string and regular expression literals, where {@code \x3C} means the same
     * {@code <}.
     */
    static String inlineScript(String source) {
        return Pattern.compile("<(/?script|!--)", Pattern.CASE_INSENSITIVE).matcher(source)
                .replaceAll(m -> Matcher.quoteReplacement("\\x3C" + m.group(1)));
    }

    /** The text of a class path resource next to this class. */
    static String resource(String name) {
        try (InputStream in = Html.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("the resource " + name + " is not on the class path next to "
                        + Html.class.getName() + " (is the weir-engine jar complete?)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the resource " + name, e);
        }
    }

    /**
     * {@code template} with each {@code {{name}}} replaced by {@code values.get(name)}, inserted as given
     * (the caller escapes). Values are not scanned for placeholders. Every placeholder needs a value.
     */
    static String fill(String template, Map<String, String> values) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder(template.length() + values.values().stream().mapToInt(String::length).sum());
        while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException("the report template's placeholder {{" + m.group(1)
                        + "}} has no value");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
