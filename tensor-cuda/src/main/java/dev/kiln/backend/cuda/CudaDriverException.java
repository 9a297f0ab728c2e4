package dev.kiln.backend.cuda;

/**
 * A CUDA driver call failed. The message follows PyTorch's {@code "CUDA error: <description>"} and names the call.
 * Errors from kernels surface asynchronously, at a later call on the same stream (as in PyTorch): the call named is
 * where the error was noticed, not necessarily where it happened.
 */
public class CudaDriverException extends RuntimeException {
    private final int code;

    CudaDriverException(int code, String call) {
        super("CUDA error: " + Cu.describe(code) + " in " + call);
        this.code = code;
    }

    /** The driver's {@code CUresult} code. */
    public int code() {
        return code;
    }
}
