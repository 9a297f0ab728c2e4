package dev.kiln.spark.train;

import dev.kiln.tensor.Device;
import java.util.List;
import org.apache.spark.TaskContext;

/**
 * Which device a task trains on: the GPU Spark assigned to the task ({@code TaskContext.resources().get("gpu")},
 * set up with {@code spark.task.resource.gpu.amount} and a discovery script), never "device 0" by habit, so tasks
 * sharing a host use different GPUs.
 * <ul>
 *   <li>{@code cpu}: the CPU.</li>
 *   <li>{@code cuda}: the task's first assigned GPU; fails (naming what is missing) when Spark assigned none or Kiln
 *       cannot use CUDA here (no kiln-tensor-cuda jar, natives or driver).</li>
 *   <li>{@code auto}: the assigned GPU when there is one and CUDA works, else the CPU.</li>
 * </ul>
 * Training ({@code KilnEstimator}) and scoring ({@code KilnModel}: transform and its UDFs) decide the same way.
 */
public final class Devices {
    /** The values of a {@code device} param. */
    public static final List<String> MODES = List.of("cpu", "cuda", "auto");

    private Devices() {
    }

    /** The device for {@code task} (null outside a task: no GPU assigned) under {@code device} mode. */
    public static Device resolve(String device, TaskContext task) {
        if ("cpu".equals(device)) {
            return Device.CPU;
        }
        return resolve(device, assignedGpus(task));
    }

    /** As {@link #resolve(String, TaskContext)} for given GPU addresses (probing CUDA only if one is assigned). */
    public static Device resolve(String device, String[] gpus) {
        return choose(device, gpus, Device::cudaIsAvailable, Devices::cudaProblem);
    }

    /** The addresses of the GPUs Spark assigned to {@code task} (none outside a task or without a GPU resource). */
    public static String[] assignedGpus(TaskContext task) {
        return task != null && task.resources().contains("gpu") ? task.resources().apply("gpu").addresses()
                : new String[0];
    }

    /**
     * The decision itself, from the task's GPU addresses and whether CUDA works in this JVM (probed only when a GPU
     * was assigned: the probe loads JCuda's natives).
     */
    static Device choose(String device, String[] gpus, java.util.function.BooleanSupplier cudaWorks,
                         java.util.function.Supplier<String> problem) {
        if ("cpu".equals(device)) {
            return Device.CPU;
        }
        if (!MODES.contains(device)) {
            throw new IllegalArgumentException("device must be one of cpu, cuda, auto; got '" + device + "'");
        }
        if ("auto".equals(device)) {
            return gpus.length > 0 && cudaWorks.getAsBoolean() ? cudaDevice(gpus[0]) : Device.CPU;
        }
        if (gpus.length == 0) {
            throw new UnsupportedOperationException("setDevice(\"cuda\"): Spark assigned this task no GPU; set "
                    + "spark.task.resource.gpu.amount (and spark.executor.resource.gpu.amount with a discovery script), "
                    + "or use setDevice(\"auto\") to fall back to the CPU");
        }
        if (!cudaWorks.getAsBoolean()) {
            throw new UnsupportedOperationException("setDevice(\"cuda\"): Spark assigned this task GPU(s) "
                    + String.join(",", gpus) + " but Kiln cannot use CUDA on this executor: "
                    + problem.get() + ". Use setDevice(\"auto\") to fall back to the CPU");
        }
        return cudaDevice(gpus[0]);
    }

    private static Device cudaDevice(String address) {
        try {
            return Device.cuda(Integer.parseInt(address.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Spark's GPU address '" + address + "' is not a CUDA device ordinal; "
                    + "the GPU discovery script must report indexes such as 0, 1", e);
        }
    }

    private static String cudaProblem() {
        dev.kiln.backend.Backend b = dev.kiln.backend.Backends.find(Device.Type.CUDA);
        return b == null ? "the kiln-tensor-cuda jar is not on the classpath" : b.unavailableReason();
    }
}
