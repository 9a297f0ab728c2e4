package dev.kiln.tensor;

import java.util.Objects;

/** Where a tensor's memory lives: the host ({@link #CPU}) or one CUDA GPU ({@code cuda:N}). */
public final class Device {
    public enum Type { CPU, CUDA }

    public static final Device CPU = new Device(Type.CPU, -1);

    private final Type type;
    private final int index;

    private Device(Type type, int index) {
        this.type = type;
        this.index = index;
    }

    public static Device cuda(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("CUDA device index must be >= 0, got " + index);
        }
        return new Device(Type.CUDA, index);
    }

    /** Parses PyTorch's device strings: {@code "cpu"}, {@code "cuda"}, {@code "cuda:1"}. */
    public static Device parse(String spec) {
        String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) {
            return CPU;
        }
        if (s.equals("cuda")) {
            return cuda(0);
        }
        if (s.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(s.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("Expected one of cpu, cuda, cuda:N device type at start of device string: " + spec);
    }

    /**
     * Whether a CUDA device can be used, like {@code torch.cuda.is_available()}: the CUDA backend jar is on the
     * classpath, its natives load and the driver reports a GPU. Probed once and cached; never throws.
     */
    public static boolean cudaIsAvailable() {
        return cudaDeviceCount() > 0;
    }

    /** Number of usable CUDA devices ({@code torch.cuda.device_count()}); 0 without the backend, natives or driver. */
    public static int cudaDeviceCount() {
        dev.kiln.backend.Backend cuda = dev.kiln.backend.Backends.find(Type.CUDA);
        return cuda == null ? 0 : cuda.deviceCount();
    }

    public Type type() {
        return type;
    }

    public int index() {
        return index;
    }

    public boolean isCuda() {
        return type == Type.CUDA;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.type == type && d.index == index;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, index);
    }

    @Override
    public String toString() {
        return type == Type.CPU ? "cpu" : "cuda:" + index;
    }
}
