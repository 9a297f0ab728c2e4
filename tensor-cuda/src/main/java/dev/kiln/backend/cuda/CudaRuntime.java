package dev.kiln.backend.cuda;

import dev.kiln.backend.KernelArg;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * The process-wide CUDA state: whether the driver works (probed once) and one {@link CudaDevice} per GPU, opened on
 * first use. Process-wide because a GPU's primary context is: every {@link CudaBackend} instance shares it.
 *
 * <p>The probe never throws. On a machine without the NVIDIA driver, JCuda's driver class fails to initialize with
 * an {@link UnsatisfiedLinkError} naming {@code libcuda.so.1}, and every later touch of it with a
 * {@link NoClassDefFoundError}; both are caught, as is any CUDA error, and the reason is kept for error messages.
 * {@code -Dkiln.cuda.disable=true} skips the probe (the CPU is used as if no GPU were there).
 */
final class CudaRuntime {
    private static final System.Logger LOG = System.getLogger(CudaRuntime.class.getName());
    private static final Pattern MISSING_LIBRARY =
            Pattern.compile("([\\w.+-]+\\.so(\\.\\d+)*): cannot open shared object file[^\\n]*");

    /** The probe's outcome; {@code first} is device 0, opened by the probe (null when none is usable). */
    record Probe(int count, String reason, CudaDevice first) {
        Probe(int count, String reason) {
            this(count, reason, null);
        }
    }

    private static volatile Probe probe;
    private static volatile AtomicReferenceArray<CudaDevice> devices; // set with probe; entries opened on first use

    private CudaRuntime() {
    }

    static int deviceCount() {
        return probe().count();
    }

    static String unavailableReason() {
        return probe().reason();
    }

    static Probe probe() {
        Probe p = probe;
        if (p == null) {
            synchronized (CudaRuntime.class) {
                p = probe;
                if (p == null) {
                    p = runProbe();
                    devices = new AtomicReferenceArray<>(p.count());
                    if (p.first() != null) {
                        devices.set(0, p.first());
                    }
                    probe = p;
                    LOG.log(System.Logger.Level.INFO, p.count() > 0
                            ? "Kiln: " + p.count() + " CUDA device(s), the first " + p.first()
                            : "Kiln: CUDA unavailable, tensors stay on the CPU: " + p.reason());
                }
            }
        }
        return p;
    }

    private static Probe runProbe() {
        if (Boolean.getBoolean("kiln.cuda.disable")) {
            return new Probe(0, "CUDA disabled by -Dkiln.cuda.disable=true");
        }
        try {
            int init = JCudaDriver.cuInit(0);
            if (init != CUresult.CUDA_SUCCESS) {
                return new Probe(0, "cuInit failed: " + Cu.describe(init));
            }
            int[] count = new int[1];
            int got = JCudaDriver.cuDeviceGetCount(count);
            if (got != CUresult.CUDA_SUCCESS) {
                return new Probe(0, "cuDeviceGetCount failed: " + Cu.describe(got));
            }
            if (count[0] == 0) {
                return new Probe(0, "the NVIDIA driver reports no CUDA device (CUDA_VISIBLE_DEVICES="
                        + System.getenv("CUDA_VISIBLE_DEVICES") + ")");
            }
            return loadKernels(count[0]);
        } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError, CudaException, ...: never fatal
            return new Probe(0, describe(t));
        }
    }

    /**
     * Opens device 0 and loads one PTX module, so that a driver too old for the shipped PTX (its ISA version sets
     * the minimum driver: {@code CUDA_ERROR_UNSUPPORTED_PTX_VERSION}) counts as no GPU, with the reason, instead of
     * failing the first kernel. The smallest module is used: the driver JIT-compiles it (once per machine: the
     * result is cached).
     */
    private static Probe loadKernels(int count) {
        CudaDevice first = CudaDevice.open(0);
        try {
            first.function(KernelNames.catalog().get(KernelNames.gemm(DType.FLOAT32)));
            return new Probe(count, "", first);
        } catch (CudaDriverException e) {
            first.release();
            int[] version = new int[1];
            JCudaDriver.cuDriverGetVersion(version);
            return new Probe(0, "the NVIDIA driver (CUDA " + version[0] / 1000 + "." + version[0] % 1000 / 10
                    + ") cannot load Kiln's kernels, PTX ISA " + CudaDevice.ptxIsaVersion(KernelNames.Family.GEMM)
                    + " (" + e.getMessage() + "); a newer NVIDIA driver is needed (tensor-cuda/src/main/cuda/README.md, "
                    + "\"PTX version and the driver it needs\")");
        }
    }

    /** One line saying why the driver bindings did not load. */
    static String describe(Throwable t) {
        String message = String.valueOf(t.getMessage());
        Matcher m = MISSING_LIBRARY.matcher(message);
        if (t instanceof UnsatisfiedLinkError && m.find()) {
            return "the NVIDIA driver library is missing (" + m.group() + "): no NVIDIA driver on this machine";
        }
        if (t instanceof NoClassDefFoundError) {
            return "JCuda's driver bindings failed to load earlier in this JVM (" + t + ")";
        }
        int newline = message.indexOf('\n');
        return "JCuda's driver bindings failed: " + t.getClass().getSimpleName() + ": "
                + (newline < 0 ? message : message.substring(0, newline));
    }

    /** The open device behind {@code device}, opening it on first use; PyTorch-worded errors when it is not there. */
    static CudaDevice device(Device device) {
        if (!device.isCuda()) {
            throw new IllegalArgumentException("the CUDA backend cannot reach memory on " + device
                    + " (expected a cuda:N tensor)");
        }
        Probe p = probe();
        if (p.count() == 0) {
            throw new UnsupportedOperationException("Found no NVIDIA driver or GPU for " + device + ": " + p.reason());
        }
        int i = device.index();
        if (i >= p.count()) {
            throw new IllegalArgumentException("CUDA error: invalid device ordinal (" + device + " requested, "
                    + p.count() + " device(s) visible)");
        }
        CudaDevice d = devices.get(i);
        if (d != null) {
            return d;
        }
        synchronized (CudaRuntime.class) {
            d = devices.get(i);
            if (d == null) {
                d = CudaDevice.open(i);
                devices.set(i, d);
            }
            return d;
        }
    }

    /** The device holding {@code arg}'s memory. */
    static CudaDevice device(KernelArg arg) {
        return device(arg.device());
    }

    /** The devices opened so far (for {@code emptyCache} over all of them); none when CUDA is unavailable. */
    static CudaDevice[] openDevices() {
        AtomicReferenceArray<CudaDevice> all = probe == null ? null : devices;
        if (all == null) {
            return new CudaDevice[0];
        }
        return IntStream.range(0, all.length()).mapToObj(all::get).filter(Objects::nonNull).toArray(CudaDevice[]::new);
    }
}
