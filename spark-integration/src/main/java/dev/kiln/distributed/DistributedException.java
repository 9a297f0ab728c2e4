package dev.kiln.distributed;

/** A collective failed: a peer died, timed out, sent garbage, or did not know the job's secret. */
public class DistributedException extends RuntimeException {
    public DistributedException(String message) {
        super(message);
    }

    public DistributedException(String message, Throwable cause) {
        super(message, cause);
    }
}
