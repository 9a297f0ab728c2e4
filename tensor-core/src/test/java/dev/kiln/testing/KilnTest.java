package dev.kiln.testing;

import dev.kiln.Kiln;
import dev.kiln.tensor.TensorScope;
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;

/**
 * Base class that makes every test a leak test (Arrow's convention): a fresh child allocator and a scope that
 * allocates from it are opened before each test; after it, the scope is closed and the allocator must be back
 * to zero bytes, or the test fails with Arrow's leak report.
 */
public abstract class KilnTest {
    protected BufferAllocator allocator;
    private TensorScope scope;

    @BeforeEach
    void openAllocator(TestInfo info) {
        allocator = Kiln.rootAllocator().newChildAllocator(info.getDisplayName(), 0, Long.MAX_VALUE);
        scope = TensorScope.open(allocator);
    }

    @AfterEach
    void closeAllocatorAndCheckLeaks() {
        scope.close();
        allocator.close(); // throws IllegalStateException("Memory was leaked ...") if any buffer is outstanding
    }
}
