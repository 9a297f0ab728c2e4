package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Finds nvcc and runs commands with a timeout, for the tests that rebuild or host-compile the CUDA sources. */
final class Nvcc {
    /** Why tests that need nvcc are skipped where it is missing. */
    static final String MISSING = "nvcc is not on PATH nor at /usr/local/cuda/bin/nvcc: the CUDA sources are not "
            + "compiled here";

    private Nvcc() {
    }

    /** nvcc on PATH, else /usr/local/cuda/bin/nvcc, if executable. */
    static Optional<Path> find() {
        String path = System.getenv("PATH");
        Stream<Path> onPath = path == null ? Stream.empty()
                : Stream.of(path.split(File.pathSeparator)).map(d -> Path.of(d, "nvcc"));
        return Stream.concat(onPath, Stream.of(Path.of("/usr/local/cuda/bin/nvcc")))
                .filter(Files::isExecutable).findFirst();
    }

    record Result(int exitCode, String output) {
    }

    /**
     * Runs {@code command} (stdin from {@code input} if not null, stdout+stderr captured through a scratch file) and
     * fails the test if it takes longer than {@code minutes}.
     */
    static Result run(List<String> command, Map<String, String> env, Path input, Path scratch, int minutes)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile(scratch, "out", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        if (input != null) {
            pb.redirectInput(input.toFile());
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("timed out after " + minutes + " minutes: " + String.join(" ", command));
        }
        String output = Files.readString(log);
        Files.delete(log);
        return new Result(p.exitValue(), output);
    }
}
