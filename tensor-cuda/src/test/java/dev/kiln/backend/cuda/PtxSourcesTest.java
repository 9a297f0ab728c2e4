package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.backend.cuda.KernelNames.Family;
import dev.kiln.testing.KilnTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped PTX is what {@code src/main/cuda/build-ptx.sh} makes of the sources: rebuilds every family with
 * nvcc into a temp dir (so every {@code .cu} compiles, warnings as errors) and compares byte for byte. Skipped, with
 * the reason, where nvcc is missing or is not the version that wrote the shipped PTX (another nvcc writes other PTX).
 */
class PtxSourcesTest extends KilnTest {
    private static final Path SCRIPT = Path.of("src/main/cuda/build-ptx.sh");
    private static final Pattern RELEASE = Pattern.compile("Cuda compilation tools, release [^\\n]*");

    @Test
    void shippedPtxIsRebuiltByteForByteFromTheSources(@TempDir Path out) throws Exception {
        Optional<Path> nvcc = Nvcc.find();
        Assumptions.assumeTrue(nvcc.isPresent(), Nvcc.MISSING);
        String shippedBy = release(PtxFiles.shipped(Family.POINTWISE));
        String local = release(Nvcc.run(List.of(nvcc.get().toString(), "--version"), Map.of(), null, out, 1).output());
        Assumptions.assumeTrue(shippedBy.equals(local), "the shipped PTX was written by '" + shippedBy
                + "' but this nvcc is '" + local + "': run build-ptx.sh with that version to compare");

        Nvcc.Result build = Nvcc.run(List.of("bash", SCRIPT.toString(), out.toString()),
                Map.of("NVCC", nvcc.get().toString()), null, out, 10);
        assertEquals(0, build.exitCode(), "build-ptx.sh failed:\n" + build.output());
        for (Family f : Family.values()) {
            Path built = out.resolve(f.name().toLowerCase() + ".ptx");
            assertTrue(Files.exists(built), "build-ptx.sh wrote no " + built.getFileName());
            String rebuilt = Files.readString(built, StandardCharsets.US_ASCII);
            String shipped = PtxFiles.shipped(f);
            if (!rebuilt.equals(shipped)) {
                fail(f.resource() + " is stale: regenerate it with build-ptx.sh and commit it ("
                        + firstDifference(shipped, rebuilt) + ")");
            }
        }
    }

    private static String release(String text) {
        Matcher m = RELEASE.matcher(text);
        return m.find() ? m.group().trim() : "(no release line)";
    }

    private static String firstDifference(String expected, String actual) {
        String[] a = expected.split("\n", -1);
        String[] b = actual.split("\n", -1);
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            if (!a[i].equals(b[i])) {
                return "line " + (i + 1) + ": shipped '" + a[i].trim() + "', rebuilt '" + b[i].trim() + "'";
            }
        }
        return "shipped has " + a.length + " lines, rebuilt " + b.length;
    }
}
