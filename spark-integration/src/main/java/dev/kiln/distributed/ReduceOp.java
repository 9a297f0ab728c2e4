package dev.kiln.distributed;

/** How {@link ProcessGroup#allReduce} combines the ranks' values, like {@code torch.distributed.ReduceOp}. */
public enum ReduceOp {
    SUM,
    /** The sum divided by the world size (PyTorch's {@code ReduceOp.AVG}); what data-parallel gradients need. */
    AVG,
    MAX,
    MIN
}
