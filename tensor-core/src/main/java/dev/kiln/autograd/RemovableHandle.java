package dev.kiln.autograd;

/**
 * Removes a registered hook, like PyTorch's {@code torch.utils.hooks.RemovableHandle}. {@link #remove()} is
 * idempotent; {@link #close()} is the same, so a hook can live for a try-with-resources block.
 */
public final class RemovableHandle implements AutoCloseable {
    private final Runnable remover;
    private boolean removed;

    RemovableHandle(Runnable remover) {
        this.remover = remover;
    }

    /** Unregisters the hook; later backward passes no longer call it. */
    public synchronized void remove() {
        if (!removed) {
            removed = true;
            remover.run();
        }
    }

    @Override
    public void close() {
        remove();
    }
}
