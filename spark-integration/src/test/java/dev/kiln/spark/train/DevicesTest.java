package dev.kiln.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.Device;
import org.junit.jupiter.api.Test;

/** The task's device: Spark's assigned GPU, never "device 0" by habit; clear errors when CUDA cannot be used. */
class DevicesTest {
    private static final String[] NONE = {};

    @Test
    void cudaUsesTheGpuSparkAssignedToTheTask() {
        assertEquals(Device.cuda(3), Devices.choose("cuda", new String[] {"3", "5"}, () -> true, () -> ""));
        assertEquals(Device.cuda(1), Devices.choose("auto", new String[] {" 1"}, () -> true, () -> ""));
    }

    @Test
    void autoFallsBackToTheCpu() {
        assertEquals(Device.CPU, Devices.choose("auto", new String[] {"0"}, () -> false, () -> "no driver"));
        assertEquals(Device.CPU, Devices.choose("auto", NONE, () -> true, () -> ""));
        assertEquals(Device.CPU, Devices.choose("cpu", new String[] {"0"}, () -> true, () -> ""));
    }

    @Test
    void cudaWithoutAGpuOrWithoutCudaSaysWhatIsMissing() {
        var none = assertThrows(UnsupportedOperationException.class, () -> Devices.choose("cuda", NONE, () -> true, () -> ""));
        assertTrue(none.getMessage().contains("spark.task.resource.gpu.amount"), none.getMessage());
        var broken = assertThrows(UnsupportedOperationException.class,
                () -> Devices.choose("cuda", new String[] {"0"}, () -> false, () -> "libcuda.so.1 not found"));
        assertTrue(broken.getMessage().contains("GPU(s) 0") && broken.getMessage().contains("libcuda.so.1"),
                broken.getMessage());
        var mode = assertThrows(IllegalArgumentException.class, () -> Devices.choose("gpu", NONE, () -> true, () -> ""));
        assertTrue(mode.getMessage().contains("cpu, cuda, auto") && mode.getMessage().contains("'gpu'"), mode.getMessage());
        assertEquals(0, Devices.assignedGpus(null).length, "outside a task nothing is assigned");
        assertEquals(Device.CPU, Devices.resolve("auto", (org.apache.spark.TaskContext) null));
        var odd = assertThrows(IllegalArgumentException.class,
                () -> Devices.choose("cuda", new String[] {"GPU-8f2a"}, () -> true, () -> ""));
        assertTrue(odd.getMessage().contains("GPU-8f2a"), odd.getMessage());
    }
}
