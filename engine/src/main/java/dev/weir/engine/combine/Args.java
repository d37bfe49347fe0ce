package dev.weir.engine.combine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link Stitch} hands to the second task: positional arguments, which fill the second task's
 * {@code takes(...)} inputs in order, and named ones, which fill the input of that name.
 * {@code Args.of(out.get("dfA")).and("right", out.get("dfB"))}. Immutable; values are not copied, so an
 * Arrow table handed over is the one the first task produced.
 *
 * @param positional the positional arguments, in order
 * @param named      the named arguments, in the order given
 */
public record Args(List<Object> positional, Map<String, Object> named) {

    public Args {
        positional = List.copyOf(positional);
        named = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(named));
    }

    /** Positional arguments. */
    public static Args of(Object... values) {
        for (Object v : values) {
            Objects.requireNonNull(v, "a stitched argument is null");
        }
        return new Args(Arrays.asList(values), Map.of());
    }

    /** One named argument. */
    public static Args named(String input, Object value) {
        return of().and(input, value);
    }

    /** These arguments and one more, by name. */
    public Args and(String input, Object value) {
        Objects.requireNonNull(input, "input is null");
        Objects.requireNonNull(value, () -> "stitched argument '" + input + "' is null");
        if (named.containsKey(input)) {
            throw new IllegalArgumentException("stitched argument '" + input + "' is given twice");
        }
        Map<String, Object> more = new LinkedHashMap<>(named);
        more.put(input, value);
        return new Args(new ArrayList<>(positional), more);
    }
}
