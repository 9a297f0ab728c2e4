package dev.kiln.spark.sql;

import dev.kiln.spark.train.Devices;
import dev.kiln.tensor.Device;
import org.apache.spark.TaskContext;

/**
 * The device a scoring task runs its model on, decided by {@link Devices} as for training: the GPU Spark assigned to
 * the task ({@code TaskContext.resources().get("gpu")}) under {@code cuda}, or under {@code auto} when there is one
 * and CUDA works; else the CPU.
 */
final class TaskDevice {
    /**
     * Test hook: GPU addresses to use as Spark's assignment for every task (null: ask Spark). Spark's local mode
     * assigns tasks no resources, so a local-session test of the GPU path (on a stand-in device backend) sets this.
     */
    static volatile String[] assignedGpusForTests;

    private TaskDevice() {
    }

    /** The device for {@code task} (null outside a task) under {@code mode}: cpu | cuda | auto. */
    static Device resolve(String mode, TaskContext task) {
        if ("cpu".equals(mode)) {
            return Device.CPU; // never probes CUDA
        }
        String[] forced = assignedGpusForTests;
        return Devices.resolve(mode, forced != null ? forced.clone() : Devices.assignedGpus(task));
    }
}
