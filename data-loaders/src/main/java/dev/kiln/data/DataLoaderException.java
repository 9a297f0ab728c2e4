package dev.kiln.data;

/** A failure while loading a batch (in a worker or on the consumer's thread), naming the batch and worker. */
public final class DataLoaderException extends RuntimeException {
    public DataLoaderException(String message, Throwable cause) {
        super(message, cause);
    }

    public DataLoaderException(String message) {
        super(message);
    }
}
