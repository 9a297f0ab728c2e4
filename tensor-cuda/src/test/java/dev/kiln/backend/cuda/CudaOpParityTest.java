package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.autograd.Autograd;
import dev.kiln.ops.opinfo.DeviceParity;
import dev.kiln.ops.opinfo.OpInfo;
import dev.kiln.ops.opinfo.OpTable;
import dev.kiln.ops.opinfo.Sample;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CPU-vs-CUDA parity for every op of tensor-core's {@link OpTable} that lists CUDA: each sample (the fast-path
 * extras included) in each of the op's dtypes runs on both devices, forward and backward (one upstream gradient),
 * and outputs and input gradients must agree. Tolerances allow what legitimately differs on a GPU: tree-ordered
 * sums, cuBLAS's blocking and FMA contraction, CUDA's libm (within a few ulps of Java's). Skipped per op, with the
 * reason, where there is no GPU; {@link #rejectsADeviceThatDisagrees()} proves the comparison can fail.
 */
class CudaOpParityTest extends GpuTest {

    static Stream<OpInfo> cudaOps() {
        return OpTable.all().stream().filter(op -> op.devices().contains(Device.Type.CUDA));
    }

    /** Relative tolerance of a GPU result against the CPU's in {@code dtype}. */
    static double tol(DType dtype) {
        return switch (dtype) {
            case FLOAT64 -> 1e-9;
            // both sides compute in float32 and round once; a float32 ulp apart can round to neighbouring halves
            case FLOAT16 -> 2e-3;
            case BFLOAT16 -> 1.6e-2;
            default -> 1e-4;
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cudaOps")
    void cpuAndCudaAgree(OpInfo op) {
        assumeGpu();
        List<Sample> samples = op.fastPath() == null ? op.samples() : op.fastPathSamples();
        for (Sample s : samples) {
            for (DType dtype : op.dtypes()) {
                DeviceParity.check(s, dtype, t -> t.to(CUDA), t -> {
                    if (!t.device().equals(CUDA)) {
                        throw new AssertionError(s.key() + ": a result left the GPU (on " + t.device() + ")");
                    }
                    return t.to(Device.CPU);
                }, tol(dtype));
            }
        }
    }

    /** The comparison fails for a "device" whose results are off: here the CPU with a nudged copy. Runs anywhere. */
    @Test
    void rejectsADeviceThatDisagrees() {
        Sample add = OpTable.get("add").samples().get(0);
        DeviceParity.check(add, DType.FLOAT64, Tensor::clone, UnaryOperator.identity(), tol(DType.FLOAT64));
        assertThrows(AssertionError.class,
                () -> DeviceParity.check(add, DType.FLOAT64, Tensor::clone, t -> t.mul(1 + 1e-8), tol(DType.FLOAT64)));
        Sample sum = OpTable.get("sum").samples().get(0);
        assertThrows(AssertionError.class,
                () -> DeviceParity.check(sum, DType.FLOAT32, Tensor::clone, t -> t.add(1e-3), tol(DType.FLOAT32)));
    }
}
