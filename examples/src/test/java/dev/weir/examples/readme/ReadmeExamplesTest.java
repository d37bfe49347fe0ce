package dev.weir.examples.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every code example of README.md is code that compiles (and, for the tests, runs): each {@code ```java}
 * block must appear, line by line (indentation aside), in a source of this package, and each
 * {@code ```xml} block in the user project {@code examples/user-flow} (its pom or its logback
 * configuration), which {@code .ci/dist-smoke} builds.
 */
class ReadmeExamplesTest {

    private static final Path README = Path.of("..", "README.md");
    private static final Path SNIPPETS = Path.of("src", "test", "java", "dev", "weir", "examples", "readme");
    private static final Path USER_FLOW = Path.of("user-flow");

    /** A fenced code block of the README: its language, first line number, heading and lines. */
    record Block(String lang, int line, String heading, List<String> lines) {
    }

    static List<Block> blocks(List<String> readme) {
        List<Block> blocks = new ArrayList<>();
        String heading = "(top)";
        for (int i = 0; i < readme.size(); i++) {
            String line = readme.get(i);
            if (line.startsWith("#")) {
                heading = line;
            } else if (line.startsWith("```") && line.length() > 3) {
                int start = i + 1;
                List<String> body = new ArrayList<>();
                for (i++; i < readme.size() && !readme.get(i).startsWith("```"); i++) {
                    body.add(readme.get(i));
                }
                blocks.add(new Block(line.substring(3).trim(), start + 1, heading, body));
            }
        }
        return blocks;
    }

    /** The lines, trimmed, without blank ones. */
    static List<String> normalized(List<String> lines) {
        return lines.stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    static boolean containsInOrder(List<String> source, List<String> block) {
        return block.isEmpty() || java.util.Collections.indexOfSubList(source, block) >= 0;
    }

    static List<List<String>> sources(Path dir, String suffix) throws IOException {
        List<List<String>> sources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(suffix)).toList()) {
                sources.add(normalized(Files.readAllLines(file)));
            }
        }
        return sources;
    }

    @Test
    void everyJavaAndXmlExampleOfTheReadmeIsInASourceThatIsBuilt() throws IOException {
        List<Block> blocks = blocks(Files.readAllLines(README));
        List<List<String>> java = sources(SNIPPETS, ".java");
        List<List<String>> xml = sources(USER_FLOW, ".xml");
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (Block block : blocks) {
            List<List<String>> where = switch (block.lang()) {
                case "java" -> java;
                case "xml" -> xml;
                default -> null;
            };
            if (where == null) {
                continue;
            }
            checked++;
            List<String> lines = normalized(block.lines());
            if (where.stream().noneMatch(source -> containsInOrder(source, lines))) {
                missing.add("README.md line " + block.line() + " (" + block.heading() + "), a " + block.lang()
                        + " block starting '" + (lines.isEmpty() ? "" : lines.get(0)) + "'");
            }
        }
        assertTrue(checked >= 8, "expected the README's java and xml examples, found " + checked);
        assertEquals(List.of(), missing, "README examples that no build compiles: copy each block, as written, into "
                + "examples/" + SNIPPETS + " (java: make it compile there) or examples/user-flow (xml)");
    }

    @Test
    void aChangedLineOfAnExampleIsNoticed() {
        List<Block> blocks = blocks(List.of("# T", "```java", "int a = 1;", "  int b = 2;", "```"));
        assertEquals(1, blocks.size());
        List<String> source = normalized(List.of("class X {", "    int a = 1;", "", "    int b = 2;", "}"));
        assertTrue(containsInOrder(source, normalized(blocks.get(0).lines())));
        assertFalse(containsInOrder(source, normalized(List.of("int a = 1;", "int b = 3;"))));
        assertFalse(containsInOrder(source, normalized(List.of("int b = 2;", "int a = 1;"))));
    }
}
