package dev.kiln.distributed;

import java.time.Duration;

/**
 * Settings of a {@link TcpProcessGroup}.
 *
 * @param connectTimeout how long {@link TcpProcessGroup.Listener#connect} may take to connect to the right ring
 *                       neighbour and to be connected to by the left one (each proving the job secret)
 * @param opTimeout      the longest a collective waits without a single byte moving before it fails, naming the
 *                       peer it waited for (a slow but moving transfer never times out)
 * @param bucketBytes    gradient bucket size of {@link DistributedDataParallel} (PyTorch's {@code bucket_cap_mb},
 *                       25 MiB by default)
 * @param scratchBytes   the bounded direct buffer each group receives reduce-scatter data into before adding it
 *                       into the tensors (the only receive copy; all-gather and broadcast land in place)
 * @param maxMessageBytes the largest {@link ProcessGroup#allGather} message accepted from a peer; a longer frame
 *                       header is treated as garbage and fails the collective
 */
public record TcpOptions(Duration connectTimeout, Duration opTimeout, long bucketBytes, int scratchBytes,
                         int maxMessageBytes) {
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    public TcpOptions {
        requirePositive("connectTimeout", connectTimeout);
        requirePositive("opTimeout", opTimeout);
        if (bucketBytes < 1) {
            throw new IllegalArgumentException("bucketBytes must be >= 1, got " + bucketBytes);
        }
        if (scratchBytes < 4096) {
            throw new IllegalArgumentException("scratchBytes must be >= 4096, got " + scratchBytes);
        }
        if (maxMessageBytes < 0) {
            throw new IllegalArgumentException("maxMessageBytes must be >= 0, got " + maxMessageBytes);
        }
    }

    /** The given timeouts and bucket size with default scratch (4 MiB) and message limit (256 MiB). */
    public TcpOptions(Duration connectTimeout, Duration opTimeout, long bucketBytes) {
        this(connectTimeout, opTimeout, bucketBytes, 4 << 20, 256 << 20);
    }

    /** Connect timeout 60 s, op timeout 10 min (NCCL's default), 25 MiB buckets, 4 MiB scratch, 256 MiB messages. */
    public static TcpOptions defaults() {
        return new TcpOptions(Duration.ofSeconds(60), Duration.ofMinutes(10), DEFAULT_BUCKET_BYTES);
    }

    public TcpOptions withConnectTimeout(Duration timeout) {
        return new TcpOptions(timeout, opTimeout, bucketBytes, scratchBytes, maxMessageBytes);
    }

    public TcpOptions withOpTimeout(Duration timeout) {
        return new TcpOptions(connectTimeout, timeout, bucketBytes, scratchBytes, maxMessageBytes);
    }

    public TcpOptions withBucketBytes(long bytes) {
        return new TcpOptions(connectTimeout, opTimeout, bytes, scratchBytes, maxMessageBytes);
    }

    public TcpOptions withScratchBytes(int bytes) {
        return new TcpOptions(connectTimeout, opTimeout, bucketBytes, bytes, maxMessageBytes);
    }

    public TcpOptions withMaxMessageBytes(int bytes) {
        return new TcpOptions(connectTimeout, opTimeout, bucketBytes, scratchBytes, bytes);
    }

    private static void requirePositive(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
        }
    }
}
