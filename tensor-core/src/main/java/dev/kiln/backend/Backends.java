package dev.kiln.backend;

import dev.kiln.tensor.Device;
import java.util.EnumMap;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The registry of backends found by {@link ServiceLoader} in {@code META-INF/services/dev.kiln.backend.Backend}:
 * tensor-core registers the CPU backend; {@code kiln-tensor-cuda} registers CUDA. Loaded once, through Kiln's own
 * class loader and then the thread's context loader (a Spark executor may load user jars only through the latter).
 */
public final class Backends {
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());
    private static volatile Map<Device.Type, Backend> registry;
    private static volatile Backend cpu;

    private Backends() {
    }

    /** The backend for {@code device}, checking that the device exists. */
    public static Backend of(Device device) {
        if (device == Device.CPU) {
            Backend c = cpu;
            return c != null ? c : load().get(Device.Type.CPU);
        }
        Backend b = load().get(device.type());
        if (b == null) {
            throw new UnsupportedOperationException("Torch not compiled with CUDA enabled: no backend for " + device
                    + " on the classpath (add the kiln-tensor-cuda jar), so tensors can only live on the CPU");
        }
        int count = b.deviceCount();
        if (count == 0) {
            throw new UnsupportedOperationException("Found no NVIDIA driver or GPU for " + device + ": "
                    + b.unavailableReason());
        }
        if (device.index() >= count) {
            throw new IllegalArgumentException("CUDA error: invalid device ordinal (" + device + " requested, "
                    + count + " device(s) visible)");
        }
        return b;
    }

    /** The registered backend of {@code type}, or null; never probes devices. */
    public static Backend find(Device.Type type) {
        return load().get(type);
    }

    /** Whether at least one device of {@code type} can be used now (probes once; false when natives are missing). */
    public static boolean isAvailable(Device.Type type) {
        Backend b = find(type);
        return b != null && b.deviceCount() > 0;
    }

    /**
     * Adds (or replaces) the backend for its device type: for backends not found by {@code ServiceLoader} and for
     * tests (a host-memory stand-in for a GPU). Returns the backend it replaced, or null.
     */
    public static synchronized Backend register(Backend backend) {
        Map<Device.Type, Backend> next = new EnumMap<>(load());
        Backend old = next.put(backend.deviceType(), backend);
        cpu = next.get(Device.Type.CPU);
        registry = next;
        return old;
    }

    /** Removes {@code backend} if it is the one registered for its type (undoing {@link #register}). */
    public static synchronized void unregister(Backend backend) {
        Map<Device.Type, Backend> next = new EnumMap<>(load());
        if (next.get(backend.deviceType()) == backend && backend.deviceType() != Device.Type.CPU) {
            next.remove(backend.deviceType());
            registry = next;
        }
    }

    private static Map<Device.Type, Backend> load() {
        Map<Device.Type, Backend> r = registry;
        if (r == null) {
            synchronized (Backends.class) {
                r = registry;
                if (r == null) {
                    r = discover();
                    cpu = r.get(Device.Type.CPU);
                    registry = r;
                }
            }
        }
        return r;
    }

    private static Map<Device.Type, Backend> discover() {
        Map<Device.Type, Backend> found = new EnumMap<>(Device.Type.class);
        addAll(found, Backend.class.getClassLoader());
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        if (context != null && context != Backend.class.getClassLoader()) {
            addAll(found, context);
        }
        if (!found.containsKey(Device.Type.CPU)) {
            throw new IllegalStateException("No CPU backend registered: META-INF/services/" + Backend.class.getName()
                    + " is missing from kiln-tensor-core (a shaded jar must merge service files)");
        }
        return found;
    }

    private static void addAll(Map<Device.Type, Backend> found, ClassLoader loader) {
        ServiceLoader<Backend> services = ServiceLoader.load(Backend.class, loader);
        var it = services.iterator();
        while (true) {
            Backend b;
            try {
                if (!it.hasNext()) {
                    return;
                }
                b = it.next();
            } catch (ServiceConfigurationError | LinkageError e) { // a broken GPU jar must not take the CPU down
                LOG.log(System.Logger.Level.WARNING, "Kiln: skipping a backend that failed to load: " + e);
                continue;
            }
            found.putIfAbsent(b.deviceType(), b);
        }
    }
}
