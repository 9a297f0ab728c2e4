package dev.kiln.backend.cuda;

import static dev.kiln.backend.cuda.HostHarness.bits;
import static dev.kiln.backend.cuda.HostHarness.bitsAt;
import static dev.kiln.backend.cuda.HostHarness.hex;
import static dev.kiln.backend.cuda.HostHarness.kind;
import static dev.kiln.backend.cuda.HostHarness.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.backend.Backend;
import dev.kiln.backend.BinaryOp;
import dev.kiln.backend.PointwiseKernels;
import dev.kiln.backend.UnaryOp;
import dev.kiln.memory.HalfFloats;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The pointwise kernels' per-element functions (scalar_ops.cuh, compiled for the host) agree with the CPU backend
 * on every dtype over edge values (signed zeros, NaN, infinities, denormals, out-of-range conversions, integer
 * overflow): bit for bit for everything IEEE defines exactly, within a few ulps for the libm functions (the GPU's
 * exp/log/... are libdevice's, neither the JVM's nor the host's, so only their formulas are checked here).
 * Skipped where nvcc is missing; the kernels themselves are checked against the CPU where a GPU exists.
 */
class HostPointwiseSemanticsTest extends KilnTest {
    private static final PointwiseKernels CPU = Backend.of(Device.CPU).pointwise();
    /** The dtypes with compute kernels; float16/bfloat16 only have copies and fills (see {@link #ALL_DTYPES}). */
    private static final DType[] DTYPES = java.util.Arrays.stream(DType.values()).filter(t -> !t.isHalf())
            .toArray(DType[]::new);
    private static final DType[] ALL_DTYPES = DType.values();
    private static final Set<UnaryOp> LIBM = EnumSet.of(UnaryOp.EXP, UnaryOp.LOG, UnaryOp.SIN, UnaryOp.COS,
            UnaryOp.TANH, UnaryOp.SIGMOID, UnaryOp.ERF);
    private static final Set<UnaryOp> INTEGRAL_UNARY = EnumSet.of(UnaryOp.NEG, UnaryOp.ABS, UnaryOp.SIGN,
            UnaryOp.RELU);

    private static final double[] FLOATS = {0.0, -0.0, 1, -1, 0.5, -2.5, 3, 7.25, -7.25, 0.1, 1e-40, 4.9e-324, 255.5,
        256, -129, 3e9, -3e9, 1e19, -1e19, 4.5e15, 1e30, 1e300, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        Double.NaN, 2, 30, 100, -0.75};

    /** Integer edge values; none beyond 2^53 except MIN/MAX, where the CPU's detour through double is lossy. */
    static long[] integers(DType t) {
        return switch (t) {
            case INT64 -> new long[] {0, 1, -1, 2, 3, -3, 7, 40, 62, 64, 255, 256, -129, 1L << 31, -(1L << 31) - 1,
                12345678901L, Long.MAX_VALUE, Long.MIN_VALUE};
            case INT32 -> new long[] {0, 1, -1, 2, 3, -3, 7, 31, 255, 256, -129, 65537, Integer.MAX_VALUE,
                Integer.MIN_VALUE};
            case UINT8 -> new long[] {0, 1, 2, 3, 7, 128, 200, 255};
            case BOOL -> new long[] {0, 1};
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    private static int count(DType t) {
        return t.isFloatingPoint() ? FLOATS.length : integers(t).length;
    }

    /** A CPU tensor holding values[idx[0]], values[idx[1]], ... of dtype t. */
    private static Tensor tensor(DType t, int[] idx) {
        int n = idx.length;
        switch (t) {
            case FLOAT32 -> {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) FLOATS[idx[i]];
                }
                return Tensor.of(v);
            }
            case FLOAT64, FLOAT16, BFLOAT16 -> {
                double[] v = new double[n];
                for (int i = 0; i < n; i++) {
                    v[i] = FLOATS[idx[i]];
                }
                if (t == DType.FLOAT64) {
                    return Tensor.of(v);
                }
                try (Tensor f64 = Tensor.of(v)) {
                    return f64.to(t); // the same rounding operand() encodes
                }
            }
            case INT64 -> {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = integers(t)[idx[i]];
                }
                return Tensor.of(v);
            }
            case BOOL -> {
                boolean[] v = new boolean[n];
                for (int i = 0; i < n; i++) {
                    v[i] = integers(t)[idx[i]] != 0;
                }
                return Tensor.of(v);
            }
            default -> { // INT32, and UINT8 through int32 (a conversion of 0..255 that keeps the value)
                int[] v = new int[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (int) integers(t)[idx[i]];
                }
                if (t == DType.INT32) {
                    return Tensor.of(v);
                }
                try (Tensor i32 = Tensor.of(v)) {
                    return i32.to(t);
                }
            }
        }
    }

    private static String operand(DType t, int i) {
        return t.isFloatingPoint() ? hex(bits(t, FLOATS[i], 0)) : hex(bits(t, 0, integers(t)[i]));
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    @Test
    void unaryOpsMatchTheCpu() throws Exception {
        int checked = 0;
        for (DType t : DTYPES) {
            int n = count(t);
            for (UnaryOp op : UnaryOp.values()) {
                boolean logicalNot = op == UnaryOp.LOGICAL_NOT;
                if (!t.isFloatingPoint() && !logicalNot && !INTEGRAL_UNARY.contains(op)) {
                    continue; // the op layer casts integer inputs of floating ops to float32 first
                }
                DType outType = logicalNot ? DType.BOOL : t;
                List<String> requests = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    requests.add(logicalNot ? "L " + kind(t) + " " + operand(t, i)
                            : "U " + kind(t) + " " + KernelNames.opCode(op) + " " + operand(t, i));
                }
                List<String> gpu = HostHarness.ask(requests);
                try (Tensor in = tensor(t, range(n)); Tensor out = Tensor.empty(outType, n)) {
                    CPU.unary(op, in.arg(), out.arg());
                    for (int i = 0; i < n; i++) {
                        String what = op + " " + t + " of " + (t.isFloatingPoint() ? FLOATS[i] : integers(t)[i]);
                        expect(outType, tolerance(op, t), bitsAt(out, i), parse(outType, gpu.get(i)), what);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 500, "checked " + checked);
    }

    @Test
    void binaryOpsAndComparisonsMatchTheCpu() throws Exception {
        int checked = 0;
        for (DType t : DTYPES) {
            int n = count(t);
            for (BinaryOp op : BinaryOp.values()) {
                if (t == DType.BOOL && !op.isComparison() && op != BinaryOp.MAXIMUM && op != BinaryOp.MINIMUM) {
                    continue; // the op layer promotes bool arithmetic to int64
                }
                List<int[]> pairs = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        if (op == BinaryOp.DIV && !t.isFloatingPoint() && integers(t)[j] == 0) {
                            continue; // the CPU throws ZeroDivisionError; the kernel writes 0
                        }
                        pairs.add(new int[] {i, j});
                    }
                }
                int[] xs = pairs.stream().mapToInt(p -> p[0]).toArray();
                int[] ys = pairs.stream().mapToInt(p -> p[1]).toArray();
                List<String> requests = new ArrayList<>();
                for (int k = 0; k < xs.length; k++) {
                    requests.add("B " + kind(t) + " " + KernelNames.opCode(op) + " " + operand(t, xs[k]) + " "
                            + operand(t, ys[k]));
                }
                List<String> gpu = HostHarness.ask(requests);
                DType outType = op.isComparison() ? DType.BOOL : t;
                int tolerance = op == BinaryOp.POW && t.isFloatingPoint() ? 1 : 0;
                try (Tensor a = tensor(t, xs); Tensor b = tensor(t, ys);
                     Tensor out = Tensor.empty(outType, xs.length)) {
                    CPU.binary(op, a.arg(), b.arg(), out.arg());
                    for (int k = 0; k < xs.length; k++) {
                        String what = op + " " + t + " (" + value(t, xs[k]) + ", " + value(t, ys[k]) + ")";
                        expect(outType, tolerance, bitsAt(out, k), parse(outType, gpu.get(k)), what);
                        checked++;
                    }
                }
            }
        }
        assertTrue(checked > 20000, "checked " + checked);
    }

    @Test
    void clampMatchesTheCpu() throws Exception {
        double[][] bounds = {{-1, 1}, {0, 255}, {2.5, 7.5}, {Double.NEGATIVE_INFINITY, 0}, {-0.0, 0.0}, {3, -3},
            {Double.NaN, 1}, {-1e300, 1e300}};
        for (DType t : DTYPES) {
            int n = count(t);
            for (double[] lh : bounds) {
                List<String> requests = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    requests.add("C " + kind(t) + " " + operand(t, i) + " " + hex(lh[0]) + " " + hex(lh[1]));
                }
                List<String> gpu = HostHarness.ask(requests);
                try (Tensor in = tensor(t, range(n)); Tensor out = Tensor.empty(t, n)) {
                    CPU.clamp(in.arg(), lh[0], lh[1], out.arg());
                    for (int i = 0; i < n; i++) {
                        expect(t, 0, bitsAt(out, i), parse(t, gpu.get(i)),
                                "clamp " + t + " " + value(t, i) + " to [" + lh[0] + ", " + lh[1] + "]");
                    }
                }
            }
        }
    }

    @Test
    void copiesBetweenEveryPairOfDtypesMatchTheCpu() throws Exception {
        for (DType s : ALL_DTYPES) {
            int n = count(s);
            for (DType d : ALL_DTYPES) {
                List<String> requests = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    requests.add("V " + kind(s) + " " + kind(d) + " " + operand(s, i));
                }
                List<String> gpu = HostHarness.ask(requests);
                try (Tensor in = tensor(s, range(n)); Tensor out = Tensor.empty(d, n)) {
                    CPU.copy(in.arg(), out.arg());
                    for (int i = 0; i < n; i++) {
                        expect(d, 0, bitsAt(out, i), parse(d, gpu.get(i)),
                                "copy " + s + " " + value(s, i) + " to " + d);
                    }
                }
            }
        }
    }

    @Test
    void fillMatchesTheCpu() throws Exception {
        for (DType t : ALL_DTYPES) {
            for (double v : FLOATS) {
                String gpu = HostHarness.ask(List.of("F " + kind(t) + " " + hex(v))).get(0);
                try (Tensor out = Tensor.empty(t, 1)) {
                    CPU.fill(out.arg(), v);
                    expect(t, 0, bitsAt(out, 0), parse(t, gpu), "fill " + t + " with " + v);
                }
            }
        }
    }

    /**
     * Deliberate differences: where the CPU detours integers through double (relu, clamp, pow) it loses bits beyond
     * 2^53; the kernels stay exact.
     */
    @Test
    void integersBeyondTwoToThe53StayExactOnTheGpu() throws Exception {
        long big = (1L << 53) + 1;
        List<String> gpu = HostHarness.ask(List.of("U i64 " + KernelNames.opCode(UnaryOp.RELU) + " " + hex(big),
                "C i64 " + hex(big) + " " + hex(Double.NEGATIVE_INFINITY) + " " + hex(Double.POSITIVE_INFINITY),
                "B i64 " + KernelNames.opCode(BinaryOp.POW) + " " + hex(big) + " 1"));
        for (String answer : gpu) {
            assertEquals(big, parse(DType.INT64, answer));
        }
        try (Tensor in = Tensor.of(big); Tensor out = Tensor.empty(DType.INT64, 1)) {
            CPU.unary(UnaryOp.RELU, in.arg(), out.arg());
            assertEquals(big - 1, out.getLong(0), "the CPU's relu rounds through double");
        }
    }

    /**
     * Ulps allowed between the JVM's and the host libm's result: 0 for IEEE-exact ops, 1 (float32) or 2 (float64)
     * for libm functions (each side within 1 ulp of the exact value; MathFunctions.erf included, see
     * MathFunctionsErfTest).
     */
    private static int tolerance(UnaryOp op, DType t) {
        if (!LIBM.contains(op)) {
            return 0;
        }
        return t == DType.FLOAT32 ? 1 : 2;
    }

    private static String value(DType t, int i) {
        return t.isFloatingPoint() ? String.valueOf(FLOATS[i]) : String.valueOf(integers(t)[i]);
    }

    private static void expect(DType t, int ulps, long cpu, long gpu, String what) {
        if (cpu == gpu) {
            return;
        }
        boolean close = t.isFloatingPoint() && HostHarness.ulps(t, cpu, gpu) <= ulps;
        assertTrue(close, what + ": CPU " + show(t, cpu) + ", kernel " + show(t, gpu));
    }

    private static String show(DType t, long bits) {
        return switch (t) {
            case FLOAT32 -> Float.intBitsToFloat((int) bits) + " (0x" + Long.toHexString(bits) + ")";
            case FLOAT64 -> Double.longBitsToDouble(bits) + " (0x" + Long.toHexString(bits) + ")";
            case FLOAT16, BFLOAT16 -> HalfFloats.toFloat((short) bits, t == DType.BFLOAT16) + " (0x"
                    + Long.toHexString(bits) + ")";
            default -> Long.toString(bits);
        };
    }
}
