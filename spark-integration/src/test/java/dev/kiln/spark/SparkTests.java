package dev.kiln.spark;

import org.apache.spark.sql.SparkSession;

/**
 * One local SparkSession shared by the test classes of this module (starting one costs seconds): {@code local[2]}
 * — two task slots, so two barrier workers — with task retries allowed, so a stage retry can be tested.
 */
public final class SparkTests {
    private static SparkSession spark;

    private SparkTests() {
    }

    /** Stops the shared session (a JVM holds one SparkContext; the cluster test needs its own). */
    public static synchronized void stop() {
        if (spark != null) {
            spark.stop();
            spark = null;
        }
    }

    public static synchronized SparkSession session() {
        if (spark == null || spark.sparkContext().isStopped()) {
            spark = SparkSession.builder().master("local[2,4]").appName("kiln-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1") // tasks (and Kiln's sockets) stay on loopback
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.stage.maxConsecutiveAttempts", "3")
                    .config("spark.executor.heartbeatInterval", "2s")
                    .getOrCreate();
            SparkSession started = spark;
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop));
        }
        return spark;
    }
}
