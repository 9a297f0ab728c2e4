package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The SPI primitives in every dtype (the op table runs floating types only): integer and bool arithmetic,
 * comparisons, where, clamp, every conversion, reductions and arg-reductions, index kernels, strided copies. Each
 * expression runs on the CPU and on the GPU; results must be equal (floating results within a few ulps), and an
 * expression that fails on the CPU must fail on the GPU with the same exception type. GPU only.
 */
class CudaDtypeParityTest extends GpuTest {

    private static Map<String, BiFunction<Tensor, Tensor[], Tensor>> expressions() {
        Map<String, BiFunction<Tensor, Tensor[], Tensor>> e = new LinkedHashMap<>();
        e.put("add", (x, a) -> x.add(a[0]));
        e.put("sub", (x, a) -> x.sub(a[0]));
        e.put("mul", (x, a) -> x.mul(a[0]));
        e.put("div", (x, a) -> x.div(a[0].add(a[0].eq(0).to(a[0].dtype()))));
        e.put("maximum", (x, a) -> x.maximum(a[0]));
        e.put("minimum", (x, a) -> x.minimum(a[0]));
        e.put("neg", (x, a) -> x.neg());
        e.put("abs", (x, a) -> x.abs());
        e.put("sign", (x, a) -> x.sign());
        e.put("eq", (x, a) -> x.eq(a[0]));
        e.put("lt", (x, a) -> x.lt(a[0]));
        e.put("ge broadcast", (x, a) -> x.ge(a[0].select(0, 1)));
        e.put("logical_not", (x, a) -> x.logicalNot());
        e.put("where", (x, a) -> Tensor.where(x.gt(a[0]), x, a[0]));
        e.put("clamp", (x, a) -> x.clamp(-2, 3));
        for (DType t : DType.values()) {
            e.put("to " + t.torchName(), (x, a) -> x.to(t));
            e.put("strided to " + t.torchName(), (x, a) -> x.t().to(t).contiguous());
        }
        e.put("transposed contiguous", (x, a) -> x.t().contiguous());
        e.put("sum", (x, a) -> x.sum());
        e.put("sum dim 1", (x, a) -> x.sum(1));
        e.put("sum dim 0", (x, a) -> x.sum(0));
        e.put("max", (x, a) -> x.max());
        e.put("min", (x, a) -> x.min());
        e.put("argmax dim 1", (x, a) -> x.argmax(1, false));
        e.put("argmin dim 0", (x, a) -> x.argmin(0, false));
        e.put("gather", (x, a) -> x.gather(1, a[1]));
        e.put("index_select", (x, a) -> x.indexSelect(0, a[2]));
        e.put("scatter", (x, a) -> x.scatter(1, a[1].narrow(1, 0, 1), a[0]));
        e.put("scatter_add", (x, a) -> x.scatterAdd(1, a[1], a[0]));
        return e;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void everyPrimitiveAgreesInEveryDtype(DType dtype) {
        assumeGpu();
        compare(dtype, CUDA);
    }

    /** The harness itself, CPU against CPU (runs anywhere): every expression is valid or fails alike. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DType.class)
    void theExpressionsRunOnTheCpu(DType dtype) {
        compare(dtype, Device.CPU);
    }

    private static void compare(DType dtype, Device device) {
        Random r = new Random(dtype.ordinal());
        Tensor x = values(dtype, r, 6, 70);
        Tensor[] args = {values(dtype, r, 6, 70), indices(r, 70, 6, 70), indices(r, 6, 4)};
        Tensor xg = x.to(device).clone();
        Tensor[] argsg = {args[0].to(device).clone(), args[1].to(device).clone(), args[2].to(device).clone()};
        for (Map.Entry<String, BiFunction<Tensor, Tensor[], Tensor>> e : expressions().entrySet()) {
            String what = e.getKey() + " of " + dtype.torchName();
            Tensor cpu;
            try {
                cpu = e.getValue().apply(x, args);
            } catch (RuntimeException cpuError) {
                Class<?> type = cpuError.getClass();
                RuntimeException gpuError = null;
                try {
                    e.getValue().apply(xg, argsg);
                } catch (RuntimeException ge) {
                    gpuError = ge;
                }
                assertEquals(type, gpuError == null ? null : gpuError.getClass(), what + " fails on the CPU with "
                        + cpuError + " but on the GPU with " + gpuError);
                continue;
            }
            Tensor gpu = e.getValue().apply(xg, argsg);
            assertEquals(device, gpu.device(), what + " stays on the device");
            assertEquals(cpu.dtype(), gpu.dtype(), what + " dtype");
            // half: both compute in float32 and round once, so a float32 ulp apart may round to neighbouring halves
            double tol = cpu.dtype() == DType.FLOAT32 ? 1e-6 : cpu.dtype().isHalf() ? 2e-2 : 1e-14;
            assertClose(what, cpu, gpu, tol);
        }
    }

    /** Small integers (so every dtype holds them exactly), zeros included; bools are 0/1, uint8 non-negative. */
    private static Tensor values(DType dtype, Random r, long rows, long cols) {
        double[] v = new double[(int) (rows * cols)];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (dtype) {
                case BOOL -> r.nextInt(2);
                case UINT8 -> r.nextInt(12);
                case FLOAT32, FLOAT64, FLOAT16, BFLOAT16 -> r.nextInt(13) - 6 + (r.nextInt(4) / 4.0);
                default -> r.nextInt(13) - 6;
            };
        }
        return Tensor.of(v).reshape(rows, cols).to(dtype);
    }

    /** Int64 indices below {@code bound}, shaped {@code shape}. */
    private static Tensor indices(Random r, long bound, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        long[] v = new long[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextInt((int) Math.min(bound, Integer.MAX_VALUE));
        }
        return Tensor.of(v).reshape(shape);
    }
}
