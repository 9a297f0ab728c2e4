package dev.kiln.memory;

import java.nio.Buffer;

/**
 * The start-up check for the one JVM option Kiln cannot work without. Arrow reads the native address of direct
 * buffers through reflection on {@code java.nio.Buffer.address}; on Java 17 that needs
 * {@code --add-opens=java.base/java.nio=ALL-UNNAMED}. Without it a program runs until Arrow first touches memory in
 * that way, often deep inside a training step, and fails there. {@code Kiln} calls {@link #check()} once, when the
 * class loads, so the failure comes first, naming the flags to add.
 *
 * <p>{@code -Dio.netty.tryReflectionSetAccessible=true} is recommended too (without it Arrow zero-fills every
 * buffer it allocates), but it only costs speed, so it is named in the message and not enforced.
 */
public final class ArrowAccess {
    /** The JVM options to add, as one line. */
    public static final String JVM_OPTIONS = "--add-opens=java.base/java.nio=ALL-UNNAMED "
            + "-Dio.netty.tryReflectionSetAccessible=true";

    private static final String MEMORY_UTIL = "org.apache.arrow.memory.util.MemoryUtil";

    private ArrowAccess() {
    }

    /**
     * Throws {@link IllegalStateException} naming the missing JVM options unless {@code java.nio} is open to the
     * module Arrow's memory code runs in (the unnamed module on a class path, or Arrow's named module).
     */
    public static void check() {
        Module arrow = arrowModule();
        if (!isOpen(arrow)) {
            throw new IllegalStateException(message(arrow));
        }
    }

    /** Whether {@code java.nio} is open to {@code module} (what Arrow's reflection needs). */
    static boolean isOpen(Module module) {
        return Buffer.class.getModule().isOpen("java.nio", module);
    }

    static String message(Module arrow) {
        String target = arrow.isNamed() ? arrow.getName() + ",ALL-UNNAMED" : "ALL-UNNAMED";
        return "Kiln keeps tensors in Apache Arrow memory, and Arrow needs reflective access to java.nio on Java 17+, "
                + "which this JVM was started without. Add these JVM options: --add-opens=java.base/java.nio=" + target
                + " -Dio.netty.tryReflectionSetAccessible=true (java command line, JAVA_TOOL_OPTIONS, Maven's "
                + ".mvn/jvm.config or surefire argLine, or Spark's spark.driver.extraJavaOptions and "
                + "spark.executor.extraJavaOptions)";
    }

    private static Module arrowModule() {
        try {
            // Loaded without initializing it: initializing is exactly what fails without the option.
            return Class.forName(MEMORY_UTIL, false, ArrowAccess.class.getClassLoader()).getModule();
        } catch (ClassNotFoundException e) {
            return ArrowAccess.class.getModule(); // Arrow is a dependency of this module, so this does not happen
        }
    }
}
