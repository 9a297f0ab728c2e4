package dev.kiln.distributed;

import dev.kiln.tensor.Tensor;
import java.util.List;

/**
 * A fixed group of {@code worldSize} ranks that exchange tensors collectively, like a
 * {@code torch.distributed} process group. Every rank must call the same collectives in the same order with
 * tensors of the same shapes and dtypes; every wait has a timeout, so a dead or stuck peer fails the call with
 * a {@link DistributedException} that names the peer, never a hang.
 *
 * <p>Spark-free on purpose: the Spark trainer builds one from a barrier rendezvous, tests build one from N
 * threads of one JVM.
 */
public interface ProcessGroup extends AutoCloseable {
    int rank();

    int worldSize();

    /** Combines each tensor element-wise across all ranks, in place; tensors must be contiguous. */
    void allReduce(List<Tensor> tensors, ReduceOp op);

    default void allReduce(Tensor tensor, ReduceOp op) {
        allReduce(List.of(tensor), op);
    }

    /** Overwrites {@code tensor} on every rank with rank {@code root}'s values, in place. */
    void broadcast(Tensor tensor, int root);

    /** Returns every rank's bytes, indexed by rank (small control messages: metrics, flags). */
    byte[][] allGather(byte[] mine);

    /** Returns when every rank has called it. */
    void barrier();

    /** Closes the connections; collectives after close fail. */
    @Override
    void close();
}
