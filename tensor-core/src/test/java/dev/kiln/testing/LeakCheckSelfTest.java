package dev.kiln.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** The temporary-leak half of {@link KilnTest} can fail: it names a temporary a (pretend) Kiln op forgot. */
class LeakCheckSelfTest extends KilnTest {
    private static final String SKIP = "kiln.skipTemporaryLeakCheck";
    private static final String WAS = System.getProperty(SKIP);

    static { // this class proves the check works, so it always runs with it on (before KilnTest's @BeforeEach)
        System.clearProperty(SKIP);
    }

    @org.junit.jupiter.api.AfterAll
    static void restoreTheBuildsSetting() {
        if (WAS != null) {
            System.setProperty(SKIP, WAS);
        }
    }

    /** Counted as Kiln code for these tests: three versions of {@code x * 2 + 1}, one of them leaky. */
    static final class PretendOp {
        static Tensor leaky(Tensor x) {
            Tensor doubled = x.mul(2); // never closed, never returned: the leak
            return doubled.add(1);
        }

        static Tensor closing(Tensor x) {
            Tensor doubled = x.mul(2);
            try {
                return doubled.add(1);
            } finally {
                doubled.close();
            }
        }

        static Tensor scoped(Tensor x) {
            try (TensorScope temps = TensorScope.openTemporaries()) {
                return temps.handOut(x.mul(2).add(1));
            }
        }
    }

    @BeforeEach
    void pretend() {
        LeakTracking.treatAsKilnCode(PretendOp.class);
    }

    @AfterEach
    void stopPretending() {
        LeakTracking.forgetKilnCode(PretendOp.class);
    }

    @Test
    void aTemporaryTheOpForgotIsReportedWithTheFramesThatMadeIt() {
        Tensor x = Tensor.ones(3);
        try (var step = TensorScope.open()) {
            Tensor y = PretendOp.leaky(x);
            assertEquals(3, y.get(0));
        }
        List<String> reports = LeakTracking.takeReports();
        assertEquals(1, reports.size(), reports.toString());
        assertTrue(reports.get(0).contains("PretendOp.leaky") && reports.get(0).contains("[3]"), reports.get(0));
    }

    @Test
    void closedOrScopedTemporariesAndResultsTheCallerUsedAreNotReported() {
        Tensor x = Tensor.ones(3);
        for (int i = 0; i < 3; i++) { // the same call sites again: each result is still the caller's
            try (var step = TensorScope.open()) {
                Tensor a = PretendOp.closing(x);
                Tensor b = PretendOp.scoped(x);
                assertEquals(a.get(0), b.get(0));
                x.add(a).sum().item(); // a chain: every intermediate is a result the chain used
            }
        }
        assertEquals(List.of(), LeakTracking.takeReports());
    }

    /** A KilnTest of its own, driven by hand, so its end-of-test check can be seen to fail. */
    private static final class InnerTest extends KilnTest {
    }

    @Test
    void kilnTestFailsATestWhoseOpLeakedATemporary() {
        InnerTest inner = new InnerTest();
        inner.openAllocator(new TestInfo() {
            @Override
            public String getDisplayName() {
                return "inner";
            }

            @Override
            public Set<String> getTags() {
                return Set.of();
            }

            @Override
            public Optional<Class<?>> getTestClass() {
                return Optional.empty();
            }

            @Override
            public Optional<Method> getTestMethod() {
                return Optional.empty();
            }
        });
        try {
            assertEquals(3, PretendOp.leaky(Tensor.ones(2)).get(1));
            AssertionError e = assertThrows(AssertionError.class, inner::closeAllocatorAndCheckLeaks);
            assertTrue(e.getMessage().contains("1 temporary was created by Kiln calls")
                    && e.getMessage().contains("PretendOp.leaky"), e.getMessage());
        } finally {
            LeakTracking.enable(); // the inner test's end turned tracking off for this thread
        }
    }
}
