package dev.weir.engine.config;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/** Enum constants named in the configuration by a kebab-case name ({@code force-fresh-input}). */
final class ConfigNames {

    private ConfigNames() {
    }

    /**
     * The constant whose configuration name is {@code text}, ignoring case, surrounding blanks, and
     * underscores written for dashes (pipedag's snake_case names).
     */
    static <E extends Enum<E>> Optional<E> parse(E[] constants, Function<E, String> configName, String text) {
        String normalized = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (E constant : constants) {
            if (configName.apply(constant).equals(normalized)) {
                return Optional.of(constant);
            }
        }
        return Optional.empty();
    }
}
