package dev.weir.examples.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.UnaryOperator;

/** How the command line shows an error: its message, then each cause that adds something, secrets masked. */
final class RunErrors {

    private RunErrors() {
    }

    /**
     * {@code weir: <message>}, then one {@code   caused by: ...} line per cause whose message is not
     * already part of what was said (white space aside), every line passed through {@code mask}.
     */
    static String describe(Throwable error, UnaryOperator<String> mask) {
        Throwable top = unwrap(error);
        StringBuilder text = new StringBuilder("weir: ").append(mask.apply(messageOf(top)));
        List<String> said = new ArrayList<>(List.of(messageOf(top)));
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        seen.add(top);
        for (Throwable cause = top.getCause(); cause != null && seen.add(cause); cause = cause.getCause()) {
            // a file system error's message is often only the file: say why too ("permission denied")
            // and a parser's, its complaint without where in the parser's input (the error above says where)
            String message = cause instanceof java.nio.file.FileSystemException fs && fs.getFile() != null
                    ? fs.getFile() + (fs.getOtherFile() == null ? "" : " -> " + fs.getOtherFile()) + ": " + reason(fs)
                    : cause instanceof com.fasterxml.jackson.core.JsonProcessingException parser
                    ? parser.getOriginalMessage() : cause.getMessage();
            if (message == null || message.isBlank()
                    || said.stream().anyMatch(s -> spaced(s).contains(spaced(message)))) {
                continue;
            }
            said.add(message);
            text.append("\n  caused by: ").append(mask.apply(cause.getClass().getSimpleName() + ": " + message.strip()));
        }
        return text.toString();
    }

    /** {@code text} with every run of white space one space: a cause's text laid out differently is still the same. */
    private static String spaced(String text) {
        return text.strip().replaceAll("\\s+", " ");
    }

    /** Why a file operation failed, in a few words: "permission denied", "not a directory", … */
    static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileAlreadyExistsException exists) {
            return exists.getFile() + " exists and is not a directory";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason().toLowerCase(java.util.Locale.ROOT);
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String messageOf(Throwable t) {
        return t.getMessage() == null || t.getMessage().isBlank() ? t.getClass().getName() : t.getMessage().strip();
    }
}
