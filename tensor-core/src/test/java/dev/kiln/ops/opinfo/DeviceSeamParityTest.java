package dev.kiln.ops.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.HostDeviceBackend;
import dev.kiln.testing.KilnTest;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every op of the {@link OpTable}, every sample and dtype, run on a stand-in device ({@link HostDeviceBackend}: CPU
 * kernels over separately accounted "device" memory) through the same parity harness a GPU uses. It proves the seam
 * rather than a GPU: outputs and gradients land on the operands' device (an op that allocated on the host, or read
 * a host address, fails the same-device check or the comparison), and device memory is all freed afterwards (the
 * inner scope closes the op's tensors before the stand-in checks its byte count).
 */
class DeviceSeamParityTest extends KilnTest {
    private static final Device DEVICE = Device.cuda(0);

    static Stream<OpInfo> allOps() {
        return OpTable.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allOps")
    void everyOpRunsOnTheDevice(OpInfo op) {
        try (HostDeviceBackend device = HostDeviceBackend.install(); TensorScope tensors = TensorScope.open()) {
            for (Sample s : op.samples()) {
                for (DType dtype : op.dtypes()) {
                    DeviceParity.check(s, dtype, t -> t.to(DEVICE), t -> {
                        assertEquals(DEVICE, t.device(), s.key() + ": result left the device");
                        return t.to(Device.CPU);
                    }, 0); // the same kernels on both sides: equal bit for bit
                }
            }
        }
    }

    /** The comparison must fail for a "device" whose results are off: here the CPU with a nudged copy. */
    @Test
    void theHarnessRejectsADeviceThatDisagrees() {
        Sample add = OpTable.get("add").samples().get(0);
        DeviceParity.check(add, DType.FLOAT64, Tensor::clone, UnaryOperator.identity(), 0);
        assertThrows(AssertionError.class,
                () -> DeviceParity.check(add, DType.FLOAT64, Tensor::clone, t -> t.mul(1 + 1e-8), 1e-10));
    }

    @Test
    void theHarnessNoticesAResultOnTheWrongDevice() {
        try (HostDeviceBackend device = HostDeviceBackend.install(); TensorScope tensors = TensorScope.open()) {
            Sample s = OpTable.all().get(0).samples().get(0);
            try (TensorScope failed = TensorScope.openTemporaries()) { // what the failed check left behind
                assertThrows(AssertionError.class, () -> DeviceParity.check(s, DType.FLOAT64, t -> t,
                        t -> {
                            assertEquals(DEVICE, t.device(), "result left the device");
                            return t;
                        }, 0));
            }
        }
    }
}
