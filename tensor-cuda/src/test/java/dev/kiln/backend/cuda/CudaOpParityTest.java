package dev.kiln.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.autograd.Autograd;
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
        return dtype == DType.FLOAT64 ? 1e-9 : 1e-4;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cudaOps")
    void cpuAndCudaAgree(OpInfo op) {
        assumeGpu();
        List<Sample> samples = op.fastPath() == null ? op.samples() : op.fastPathSamples();
        for (Sample s : samples) {
            for (DType dtype : op.dtypes()) {
                check(s, dtype, t -> t.to(CUDA), t -> {
                    if (!t.device().equals(CUDA)) {
                        throw new AssertionError(s.key() + ": a result left the GPU (on " + t.device() + ")");
                    }
                    return t.to(Device.CPU);
                }, tol(dtype));
            }
        }
    }

    /**
     * Runs {@code s} on the CPU and, through {@code toDevice}/{@code toCpu}, on another device; compares the outputs
     * and the gradients of the differentiable arguments for the upstream gradient 0.5.
     */
    static void check(Sample s, DType dtype, UnaryOperator<Tensor> toDevice, UnaryOperator<Tensor> toCpu, double tol) {
        List<double[]> drawn = s.draw();
        List<Tensor> cpu = s.inputs(drawn, dtype, true);
        List<Tensor> dev = new ArrayList<>();
        for (int i = 0; i < cpu.size(); i++) {
            Tensor moved = toDevice.apply(cpu.get(i).detach());
            dev.add(s.args().get(i).grad() ? moved.requiresGrad_(true) : moved);
        }
        Tensor yCpu = s.run(cpu);
        Tensor yDev = s.run(dev);
        String what = s.key() + " (" + dtype.torchName() + ")";
        compare(what + " output", yCpu, toCpu.apply(yDev), tol);
        if (!s.differentiable() || !yCpu.dtype().isFloatingPoint()) {
            return;
        }
        Tensor g = Tensor.onesLike(yCpu).mul(0.5);
        List<Tensor> gCpu = grads(s, cpu, yCpu, g);
        List<Tensor> gDev = grads(s, dev, yDev, toDevice.apply(g));
        for (int i = 0; i < gCpu.size(); i++) {
            compare(what + " gradient " + i, gCpu.get(i), toCpu.apply(gDev.get(i)), tol);
        }
    }

    private static void compare(String what, Tensor expected, Tensor got, double tol) {
        if (!java.util.Arrays.equals(expected.shape(), got.shape())) {
            throw new AssertionError(what + ": shape " + java.util.Arrays.toString(got.shape()) + ", expected "
                    + java.util.Arrays.toString(expected.shape()));
        }
        if (got.device().isCuda()) {
            throw new AssertionError(what + " was not moved back to the CPU");
        }
        assertClose(what, expected.contiguous().toDoubleArray(), got.contiguous().toDoubleArray(), tol);
    }

    private static List<Tensor> grads(Sample s, List<Tensor> x, Tensor y, Tensor g) {
        List<Tensor> diff = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            if (s.args().get(i).grad()) {
                diff.add(x.get(i));
            }
        }
        List<Tensor> got = Autograd.grad(List.of(y), diff, List.of(g), false, false);
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < diff.size(); i++) {
            out.add(got.get(i) != null ? got.get(i) : Tensor.zerosLike(diff.get(i))); // unused input: zeros there
        }
        return out;
    }

    /** The comparison fails for a "device" whose results are off: here the CPU with a nudged copy. Runs anywhere. */
    @Test
    void rejectsADeviceThatDisagrees() {
        Sample add = OpTable.get("add").samples().get(0);
        check(add, DType.FLOAT64, Tensor::clone, UnaryOperator.identity(), tol(DType.FLOAT64));
        assertThrows(AssertionError.class,
                () -> check(add, DType.FLOAT64, Tensor::clone, t -> t.mul(1 + 1e-8), tol(DType.FLOAT64)));
        Sample sum = OpTable.get("sum").samples().get(0);
        assertThrows(AssertionError.class,
                () -> check(sum, DType.FLOAT32, Tensor::clone, t -> t.add(1e-3), tol(DType.FLOAT32)));
    }
}
