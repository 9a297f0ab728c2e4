package dev.kiln.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kernel wrappers (reachability fences, float16/bfloat16 widening) must forward every optional kernel of the
 * interface they wrap: an interface default method they do not override answers "not handled" or does the slow
 * thing, silently, for every backend wrapped (this happened: max pooling's values-only kernel was lost behind the
 * half wrapper, and inference fell back to computing indices).
 */
class KernelWrappersTest extends KilnTest {
    private static final String[] WRAPPERS = {"dev.kiln.backend.cpu.Fenced", "dev.kiln.backend.HalfAsFloat32"};

    @Test
    void everyWrapperOverridesEveryDefaultKernel() throws ClassNotFoundException {
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (String name : WRAPPERS) {
            for (Class<?> wrapper : Class.forName(name).getDeclaredClasses()) {
                for (Class<?> spi : wrapper.getInterfaces()) {
                    if (!spi.getPackageName().equals("dev.kiln.backend")) {
                        continue;
                    }
                    checked++;
                    missing.addAll(notOverridden(wrapper, spi));
                }
            }
        }
        assertEquals(11, checked, "wrapper/interface pairs found (update this count when a wrapper is added)");
        assertTrue(missing.isEmpty(), "kernel wrappers that do not forward an optional kernel: " + missing);
    }

    @Test
    void aMissingOverrideIsFound() {
        assertEquals(List.of("Partial.optional"), notOverridden(Partial.class, Optional.class));
    }

    interface Optional {
        void required();

        default boolean optional() {
            return false;
        }
    }

    static final class Partial implements Optional {
        @Override
        public void required() {
        }
    }

    private static List<String> notOverridden(Class<?> wrapper, Class<?> spi) {
        List<String> missing = new ArrayList<>();
        for (Method m : spi.getMethods()) {
            if (!m.isDefault()) {
                continue;
            }
            try {
                wrapper.getDeclaredMethod(m.getName(), m.getParameterTypes());
            } catch (NoSuchMethodException e) {
                missing.add(wrapper.getSimpleName() + "." + m.getName());
            }
        }
        return missing;
    }
}
