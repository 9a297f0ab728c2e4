package dev.kiln.spark.train;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/**
 * Fails fast, on the driver, when a barrier stage of {@code numWorkers} tasks cannot run: with dynamic allocation
 * on (Spark refuses barrier stages then), or with fewer free task slots than workers (Spark would keep retrying
 * the slot check for minutes before giving up).
 */
final class SlotCheck {
    private SlotCheck() {
    }

    static void check(SparkContext sc, int numWorkers) {
        check(sc.getConf(), slots(sc), numWorkers);
    }

    static void check(SparkConf conf, int slots, int numWorkers) {
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            throw new IllegalArgumentException("Kiln trains in one Spark barrier stage, which cannot run with "
                    + "dynamic allocation; set spark.dynamicAllocation.enabled=false for this application");
        }
        if (slots < numWorkers) {
            throw new IllegalArgumentException("numWorkers=" + numWorkers + " needs " + numWorkers
                    + " task slots at once (a barrier stage), but the cluster has " + slots + " (executor cores / "
                    + "spark.task.cpus=" + conf.getInt("spark.task.cpus", 1) + "); lower numWorkers or add executors");
        }
    }

    /**
     * Task slots the cluster can run at once. Spark's own count ({@code maxNumConcurrentTasks}, the number the
     * barrier scheduler checks) is package-private in Scala but public in bytecode; it is the exact figure, so it is
     * used when present, with the cores Spark reports as the fallback.
     */
    static int slots(SparkContext sc) {
        try {
            Object manager = SparkContext.class.getMethod("resourceProfileManager").invoke(sc);
            Object profile = manager.getClass().getMethod("defaultResourceProfile").invoke(manager);
            for (var m : SparkContext.class.getMethods()) {
                if (m.getName().equals("maxNumConcurrentTasks") && m.getParameterCount() == 1) {
                    return (Integer) m.invoke(sc, profile);
                }
            }
        } catch (ReflectiveOperationException | RuntimeException ignored) {
            // fall through to the public estimate
        }
        return sc.defaultParallelism() / Math.max(1, sc.getConf().getInt("spark.task.cpus", 1));
    }
}
