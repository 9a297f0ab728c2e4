package dev.kiln.testing;

import dev.kiln.Kiln;
import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.TensorScope;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * Base class that makes every test a leak test, twice over.
 *
 * <p>Bytes (Arrow's convention): a fresh child allocator and a scope that allocates from it are opened before each
 * test; after it, the scope is closed and the allocator must be back to zero bytes, or the test fails with Arrow's
 * leak report. This catches tensors that nothing closes at all (made outside the scope, on other threads, or
 * detached and forgotten).
 *
 * <p>Forgotten temporaries ({@link LeakTracking}): the scope frees whatever is left at the end, which would hide an
 * op that forgets to close its temporaries (they cost memory until the scope ends, or until the GC finds them in
 * unscoped code). So while the test runs, every tensor remembers the Kiln call that created it, and counts as
 * <em>handed out</em> once code outside that call touches it (the test reads it, passes it to another call, an op
 * chain uses it) or Kiln gives it an owner (autograd saved it, it is a view's base, a parameter, a {@code .grad},
 * optimizer state, a scope {@code keep}/{@code detach}). A tensor that a caller's scope on the test thread (the
 * test's or a nested one) had to close although it was never handed out is a temporary that a Kiln call leaked:
 * the test fails and names the Kiln frames that made it. The test's own results are handed out by the test
 * touching them; a result the test never looks at at all (a bare {@code x.add(1);}) counts as leaked, so tests use
 * or close what they create. Kiln ops free their temporaries by closing them or through a
 * {@link TensorScope#openTemporaries()} scope. PyTorch has no analogue (its refcounting frees temporaries at once).
 * {@code -Dkiln.skipTemporaryLeakCheck=true} turns this half off (the byte check stays).
 */
public abstract class KilnTest {
    protected BufferAllocator allocator;
    private TensorScope scope;

    @BeforeEach
    void openAllocator(TestInfo info) {
        allocator = Kiln.rootAllocator().newChildAllocator(info.getDisplayName(), 0, Long.MAX_VALUE);
        LeakTracking.takeReports(); // start clean: reports belong to this test only
        if (!Boolean.getBoolean("kiln.skipTemporaryLeakCheck")) { // escape hatch, e.g. to time the suite without it
            LeakTracking.enable();
        }
        scope = TensorScope.open(allocator);
    }

    @AfterEach
    void closeAllocatorAndCheckLeaks() {
        List<String> leaked;
        try {
            scope.close();
        } finally {
            leaked = LeakTracking.takeReports();
            LeakTracking.disable();
        }
        allocator.close(); // throws IllegalStateException("Memory was leaked ...") if any buffer is outstanding
        if (!leaked.isEmpty()) {
            throw new AssertionError(leaked.size() + " temporar" + (leaked.size() == 1 ? "y was" : "ies were")
                    + " created by Kiln calls and never closed, returned or owned (freed only by the scope):\n  "
                    + String.join("\n  ", leaked));
        }
    }
}
