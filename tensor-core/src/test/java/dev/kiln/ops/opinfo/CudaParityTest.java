package dev.kiln.ops.opinfo;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.autograd.Autograd;
import dev.kiln.backend.Backend;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CPU-vs-CUDA parity for every op of the {@link OpTable} that lists {@link Device.Type#CUDA}: each sample in each of
 * the op's dtypes runs on both devices, forward and backward, and the results must agree within the reference
 * tolerances. Skipped (per op, so the report shows what would run) where no CUDA backend is available, which is
 * every build today; the comparison itself is proven by {@link #rejectsADeviceThatDisagrees()}.
 */
class CudaParityTest extends KilnTest {
    private static final Device CUDA = Device.cuda(0);

    static boolean cudaAvailable() {
        try {
            Backend.of(CUDA);
            return true;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    static Stream<OpInfo> cudaOps() {
        return OpTable.all().stream().filter(op -> op.devices().contains(Device.Type.CUDA));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cudaOps")
    void cpuAndCudaAgree(OpInfo op) {
        assumeTrue(cudaAvailable(), "no CUDA backend in this build or no GPU: parity not checked");
        for (Sample s : op.samples()) {
            for (DType dtype : op.dtypes()) {
                check(s, dtype, t -> t.to(CUDA), t -> t.to(Device.CPU));
            }
        }
    }

    /**
     * Runs {@code s} on the CPU and, through {@code toDevice}/{@code toCpu}, on another device; compares outputs and
     * the gradients of the differentiable arguments for one upstream gradient.
     */
    static void check(Sample s, DType dtype, UnaryOperator<Tensor> toDevice, UnaryOperator<Tensor> toCpu) {
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
        Checks.assertClose(what + " output on the device", toCpu.apply(yDev), yCpu.shape(),
                yCpu.contiguous().toDoubleArray(), Checks.tol(dtype));
        if (!s.differentiable() || !yCpu.dtype().isFloatingPoint()) {
            return;
        }
        Tensor g = Tensor.onesLike(yCpu).mul(0.5);
        List<Tensor> gCpu = grads(s, cpu, yCpu, g);
        List<Tensor> gDev = grads(s, dev, yDev, toDevice.apply(g));
        for (int i = 0; i < gCpu.size(); i++) {
            Checks.assertClose(what + " gradient " + i + " on the device", toCpu.apply(gDev.get(i)), gCpu.get(i).shape(),
                    gCpu.get(i).contiguous().toDoubleArray(), Checks.tol(dtype));
        }
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
            out.add(got.get(i) != null ? got.get(i) : Tensor.zerosLike(diff.get(i))); // unused input: zeros, same device
        }
        return out;
    }

    /** The comparison must fail for a "device" whose results are off: here the CPU with a nudged copy. */
    @Test
    void rejectsADeviceThatDisagrees() {
        Sample add = OpTable.get("add").samples().get(0);
        check(add, DType.FLOAT64, Tensor::clone, UnaryOperator.identity());
        assertThrows(AssertionError.class, () -> check(add, DType.FLOAT64, Tensor::clone, t -> t.mul(1 + 1e-8)));
    }
}
