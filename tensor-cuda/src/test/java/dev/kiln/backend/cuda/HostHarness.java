package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.memory.HalfFloats;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * {@code src/test/cuda/host_semantics.cu} compiled for the host by nvcc (once per JVM): the kernels' per-element
 * functions, answering requests line by line (protocol in that file). Values travel as raw storage bits in hex.
 */
final class HostHarness {
    private static final Path SOURCE = Path.of("src/test/cuda/host_semantics.cu");
    private static Path binary;
    private static Path dir;

    private HostHarness() {
    }

    /** Compiles the harness on first use; skips the calling test (with the reason) where nvcc is missing. */
    static synchronized Path binary() throws IOException, InterruptedException {
        Optional<Path> nvcc = Nvcc.find();
        Assumptions.assumeTrue(nvcc.isPresent(), Nvcc.MISSING);
        if (binary == null) {
            dir = Files.createTempDirectory("kiln-host-semantics");
            dir.toFile().deleteOnExit();
            Path exe = dir.resolve("host_semantics");
            // -ffp-contract=off: the host compiler must not fuse a*b + c either (the PTX is built with --fmad=false).
            Nvcc.Result r = Nvcc.run(List.of(nvcc.get().toString(), "-std=c++17", "-O2", "-Xcompiler",
                    "-ffp-contract=off", "-Werror", "all-warnings", "-I", "src/main/cuda", "-o", exe.toString(),
                    SOURCE.toString()), Map.of(), null, dir, 5);
            assertEquals(0, r.exitCode(), "nvcc could not build " + SOURCE + ":\n" + r.output());
            exe.toFile().deleteOnExit();
            binary = exe;
        }
        return binary;
    }

    /** The answers to {@code requests}, one per request. */
    static List<String> ask(List<String> requests) throws IOException, InterruptedException {
        Path exe = binary();
        Path in = Files.createTempFile(dir, "requests", ".txt");
        try {
            Files.write(in, requests);
            Nvcc.Result r = Nvcc.run(List.of(exe.toString()), Map.of(), in, dir, 2);
            assertEquals(0, r.exitCode(), "host_semantics failed:\n" + r.output());
            List<String> answers = r.output().lines().toList();
            assertEquals(requests.size(), answers.size(), "one answer per request");
            return answers;
        } finally {
            Files.deleteIfExists(in);
        }
    }

    // ------------------------------------------------------------------------------------------ bits

    /** The harness's name for a dtype (bool has its own: stores normalise to 0/1). */
    static String kind(DType t) {
        return KernelNames.exactSuffix(t);
    }

    /** Raw storage bits of a value given as the Java value (float/double value, or the integer). */
    static long bits(DType t, double floating, long integral) {
        return switch (t) {
            case FLOAT32 -> Float.floatToRawIntBits((float) floating) & 0xFFFFFFFFL;
            case FLOAT64 -> Double.doubleToRawLongBits(floating);
            case INT64 -> integral;
            case INT32 -> integral & 0xFFFFFFFFL;
            case UINT8 -> integral & 0xFF;
            case BOOL -> integral != 0 ? 1 : 0;
            case FLOAT16, BFLOAT16 -> HalfFloats.fromDouble(floating, t == DType.BFLOAT16) & 0xFFFFL;
        };
    }

    static String hex(long bits) {
        return Long.toHexString(bits);
    }

    static String hex(double v) {
        return Long.toHexString(Double.doubleToRawLongBits(v));
    }

    /** Element i of a CPU tensor as raw storage bits, NaNs canonical. */
    static long bitsAt(Tensor t, long i) {
        return switch (t.dtype()) {
            case FLOAT32 -> Float.floatToIntBits((float) t.getDouble(i)) & 0xFFFFFFFFL;
            case FLOAT64 -> Double.doubleToLongBits(t.getDouble(i));
            case FLOAT16, BFLOAT16 -> canonicalHalf(t.dtype(), bits(t.dtype(), t.getDouble(i), 0));
            default -> bits(t.dtype(), 0, t.getLong(i));
        };
    }

    /** A harness answer as raw storage bits, NaNs canonical. */
    static long parse(DType t, String hex) {
        long b = Long.parseUnsignedLong(hex, 16);
        return switch (t) {
            case FLOAT32 -> Float.floatToIntBits(Float.intBitsToFloat((int) b)) & 0xFFFFFFFFL;
            case FLOAT64 -> Double.doubleToLongBits(Double.longBitsToDouble(b));
            case FLOAT16, BFLOAT16 -> canonicalHalf(t, b);
            default -> b;
        };
    }

    /** 16-bit patterns with every NaN as one NaN (the reads above lose NaN payloads and signs). */
    private static long canonicalHalf(DType t, long b) {
        boolean nan = Float.isNaN(HalfFloats.toFloat((short) b, t == DType.BFLOAT16));
        return nan ? (t == DType.BFLOAT16 ? 0x7FC0 : 0x7E00) : b & 0xFFFF;
    }

    /** Distance in units in the last place between two floating values given as bits (0 for equal bits). */
    static long ulps(DType t, long a, long b) {
        if (a == b) {
            return 0;
        }
        if (t == DType.FLOAT32) {
            return Math.abs(ordered((int) a) - ordered((int) b));
        }
        if (t.isHalf()) {
            return Math.abs(ordered((int) (short) a) - ordered((int) (short) b));
        }
        long x = a < 0 ? Long.MIN_VALUE - a : a;
        long y = b < 0 ? Long.MIN_VALUE - b : b;
        return Math.abs(x - y);
    }

    private static long ordered(int bits) {
        return bits < 0 ? (long) Integer.MIN_VALUE - bits : bits;
    }
}
