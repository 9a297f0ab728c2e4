package dev.kiln.spark.train;

import org.apache.spark.TaskContext;

/**
 * Which device a task trains on. Until Kiln's CUDA backend exists, "auto" means the CPU and "cuda" fails with a
 * message that says so; a GPU that Spark assigned to the task ({@code TaskContext.resources().get("gpu")}) is
 * named in that message so the user sees it was found.
 */
final class Devices {
    private Devices() {
    }

    static void check(String device, TaskContext task) {
        if ("cuda".equals(device)) {
            String gpus = task.resources().contains("gpu")
                    ? "Spark assigned this task GPU(s) " + String.join(",", task.resources().apply("gpu").addresses())
                    : "Spark assigned this task no GPU (spark.task.resource.gpu.amount is not set)";
            throw new UnsupportedOperationException("setDevice(\"cuda\"): this Kiln build has no CUDA backend yet; "
                    + gpus + ". Use setDevice(\"cpu\") or \"auto\" (which trains on the CPU).");
        }
    }
}
