package dev.kiln.spark.train;

import java.io.Serializable;
import java.time.Duration;

/**
 * How a distributed run is laid out: workers, seed, threads per worker, timeouts, checkpoints. Immutable; the
 * {@code with*} methods return changed copies.
 *
 * @param numWorkers     barrier tasks (ranks); the DataFrame is repartitioned to this many partitions if needed
 * @param seed           seeds model init on every rank, the per-epoch shuffles and the per-step dropout streams
 * @param threadsPerTask CPU kernel threads each task may use; 0 = {@code spark.task.cpus}
 * @param connectTimeout how long a rank waits for its peers to connect (rendezvous)
 * @param opTimeout      how long one collective (all-reduce, broadcast, barrier) may wait for a peer
 * @param checkpointDir  Hadoop FileSystem directory for checkpoints (any scheme), or null for none
 * @param device         "cpu", "cuda" or "auto"
 * @param balance        repartition round-robin into {@code numWorkers} equal partitions (default); when false the
 *                       DataFrame's own partitions are kept if there are {@code numWorkers} of them (a Parquet
 *                       scan can produce empty or lopsided ones, and the largest partition paces every epoch).
 *                       NOTE: the order of rows after Spark's shuffle depends on block fetch order, which differs
 *                       between cluster layouts; for bit-reproducible runs supply numWorkers balanced partitions
 *                       and set it false
 * @param maxAttempts    how many times the barrier stage is submitted before the run fails; 0 = Spark's
 *                       {@code spark.stage.maxConsecutiveAttempts} (4 by default)
 */
public record TrainerConfig(int numWorkers, long seed, int threadsPerTask, Duration connectTimeout,
                            Duration opTimeout, String checkpointDir, String device, FaultInjection fault,
                            boolean balance, int maxAttempts)
        implements Serializable {

    public TrainerConfig {
        if (numWorkers < 1) {
            throw new IllegalArgumentException("numWorkers must be >= 1, got " + numWorkers);
        }
        if (maxAttempts < 0) {
            throw new IllegalArgumentException("maxAttempts must be >= 0, got " + maxAttempts);
        }
        if (threadsPerTask < 0) {
            throw new IllegalArgumentException("threadsPerTask must be >= 0, got " + threadsPerTask);
        }
        if (!"cpu".equals(device) && !"cuda".equals(device) && !"auto".equals(device)) {
            throw new IllegalArgumentException("device must be one of cpu, cuda, auto; got '" + device + "'");
        }
    }

    public static TrainerConfig of(int numWorkers) {
        return new TrainerConfig(numWorkers, 0, 0, Duration.ofMinutes(2), Duration.ofMinutes(5), null, "auto", null,
                true, 0);
    }

    public TrainerConfig withSeed(long s) {
        return new TrainerConfig(numWorkers, s, threadsPerTask, connectTimeout, opTimeout, checkpointDir, device, fault, balance, maxAttempts);
    }

    public TrainerConfig withThreadsPerTask(int n) {
        return new TrainerConfig(numWorkers, seed, n, connectTimeout, opTimeout, checkpointDir, device, fault, balance, maxAttempts);
    }

    public TrainerConfig withTimeouts(Duration connect, Duration op) {
        return new TrainerConfig(numWorkers, seed, threadsPerTask, connect, op, checkpointDir, device, fault, balance, maxAttempts);
    }

    public TrainerConfig withCheckpointDir(String dir) {
        return new TrainerConfig(numWorkers, seed, threadsPerTask, connectTimeout, opTimeout, dir, device, fault, balance, maxAttempts);
    }

    public TrainerConfig withDevice(String d) {
        return new TrainerConfig(numWorkers, seed, threadsPerTask, connectTimeout, opTimeout, checkpointDir, d, fault, balance, maxAttempts);
    }

    public TrainerConfig withBalance(boolean b) {
        return new TrainerConfig(numWorkers, seed, threadsPerTask, connectTimeout, opTimeout, checkpointDir, device, fault,
                b, maxAttempts);
    }

    public TrainerConfig withMaxAttempts(int n) {
        return new TrainerConfig(numWorkers, seed, threadsPerTask, connectTimeout, opTimeout, checkpointDir, device, fault,
                balance, n);
    }

    /** Test hook: rank {@code rank} throws at global step {@code step} of the stage's first attempt only. */
    public TrainerConfig withFaultInjection(FaultInjection f) {
        return new TrainerConfig(numWorkers, seed, threadsPerTask, connectTimeout, opTimeout, checkpointDir, device, f, balance, maxAttempts);
    }

    /** A deliberate failure, for fault-tolerance tests: thrown once, on the first attempt of the stage. */
    public record FaultInjection(int rank, long step) implements Serializable {
    }
}
