package dev.kiln.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The backend is a leaf: its sources import nothing of Kiln above it (no Tensor, autograd, ops, nn), only the
 * backend itself, memory, the value types {@code DType}/{@code Device}, and (for the CPU's thread and allocator
 * settings) {@code Kiln}/{@code KilnContext}. Read from the source tree, so a new import fails here at once.
 */
class BackendLayeringTest {
    private static final Path SOURCES = Path.of("src/main/java/dev/kiln/backend");
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(dev\\.kiln\\.[\\w.]+);", Pattern.MULTILINE);
    private static final Set<String> ALLOWED_OUTSIDE = Set.of("dev.kiln.tensor.DType", "dev.kiln.tensor.Device",
            "dev.kiln.Kiln", "dev.kiln.KilnContext");

    @Test
    void backendImportsNothingAboveIt() {
        assertEquals(List.of(), violations(SOURCES), "backend must not depend on tensors, autograd, ops or nn");
    }

    @Test
    void theCheckSeesAViolation(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("Bad.java"), "package dev.kiln.backend;\nimport dev.kiln.tensor.Tensor;\n");
        assertEquals(List.of("Bad.java imports dev.kiln.tensor.Tensor"), violations(dir));
    }

    private static List<String> violations(Path root) {
        List<String> bad = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                Matcher m = IMPORT.matcher(Files.readString(f));
                while (m.find()) {
                    String target = m.group(1);
                    boolean ok = target.startsWith("dev.kiln.backend.") || target.startsWith("dev.kiln.memory.")
                            || ALLOWED_OUTSIDE.stream().anyMatch(a -> target.equals(a) || target.startsWith(a + "."));
                    if (!ok) {
                        bad.add(root.relativize(f) + " imports " + target);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(root.toFile().isDirectory(), root + " must exist (tests run from the module directory)");
        return bad;
    }
}
