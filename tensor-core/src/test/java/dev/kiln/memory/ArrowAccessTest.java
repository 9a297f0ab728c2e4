package dev.kiln.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.testing.KilnTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The start-up check: a JVM without Arrow's --add-opens fails when Kiln loads, naming the flags to add. */
class ArrowAccessTest extends KilnTest {
    /** Loads Kiln in a fresh JVM and allocates a tensor; exit 0 if that worked. */
    public static final class Probe {
        public static void main(String[] args) {
            try (var t = dev.kiln.tensor.Tensor.ones(3)) {
                System.out.println("sum " + t.sum().item());
            }
        }
    }

    @Test
    void thisJvmHasTheFlagSoTheCheckPasses() {
        ArrowAccess.check();
        assertTrue(ArrowAccess.isOpen(ArrowAccessTest.class.getModule()));
    }

    @Test
    void messageNamesTheExactFlags() {
        String m = ArrowAccess.message(ArrowAccessTest.class.getModule());
        assertTrue(m.contains("--add-opens=java.base/java.nio=ALL-UNNAMED"), m);
        assertTrue(m.contains("-Dio.netty.tryReflectionSetAccessible=true"), m);
        assertTrue(m.contains("spark.executor.extraJavaOptions"), m);
    }

    @Test
    void aJvmWithoutTheFlagFailsAtStartUpWithTheFlagsInTheMessage() throws Exception {
        Result without = runProbe(false);
        assertEquals(1, without.exit, without.output);
        assertTrue(without.output.contains("Add these JVM options: --add-opens=java.base/java.nio=ALL-UNNAMED"),
                without.output);
        assertTrue(without.output.contains("at dev.kiln.Kiln.<clinit>"), "fails when Kiln loads: " + without.output);
        assertFalse(without.output.contains("sum 3.0"), without.output);

        Result with = runProbe(true);
        assertEquals(0, with.exit, with.output);
        assertTrue(with.output.contains("sum 3.0"), with.output);
        Kiln.rootAllocator(); // (this JVM is unaffected)
    }

    private record Result(int exit, String output) {
    }

    private static Result runProbe(boolean withFlag) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m"));
        if (withFlag) {
            cmd.addAll(List.of(ArrowAccess.JVM_OPTIONS.split(" ")));
        }
        cmd.addAll(List.of("-cp", cp, Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("probe JVM did not finish in 60 s");
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
