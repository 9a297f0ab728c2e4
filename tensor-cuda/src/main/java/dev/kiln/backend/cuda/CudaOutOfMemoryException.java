package dev.kiln.backend.cuda;

/**
 * A device allocation failed even after the cache was emptied (PyTorch's {@code torch.cuda.OutOfMemoryError}); the
 * message has PyTorch's wording, with the request, the device's capacity and what Kiln holds.
 */
public class CudaOutOfMemoryException extends RuntimeException {
    CudaOutOfMemoryException(String message) {
        super(message);
    }
}
