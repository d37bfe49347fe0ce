package dev.weir.engine.stream;

import dev.weir.engine.WeirException;
import java.util.List;

/** A streaming graph is invalid; nothing ran. Lists every problem found, each naming its task or key. */
public final class StreamGraphException extends WeirException {

    private final List<String> problems;

    public StreamGraphException(List<String> problems) {
        super("invalid streaming graph:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
