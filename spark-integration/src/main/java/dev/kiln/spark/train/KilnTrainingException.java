package dev.kiln.spark.train;

/**
 * Distributed training failed; the message is the failing task's own (the bad column, the dead peer, ...) rather
 * than Spark's stage-failure wrapper, which stays attached as the cause.
 */
public class KilnTrainingException extends RuntimeException {
    public KilnTrainingException(String message) {
        super(message);
    }

    public KilnTrainingException(String message, Throwable cause) {
        super(message, cause);
    }
}
