package dev.kiln.spark.train;

import dev.kiln.distributed.DistributedException;
import dev.kiln.distributed.ProcessGroup;
import dev.kiln.distributed.ReduceOp;
import dev.kiln.tensor.Tensor;
import java.util.List;

/** The group of one rank (numWorkers = 1): every collective is the identity, and no socket is opened. */
final class SingleProcessGroup implements ProcessGroup {
    private boolean closed;

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public int worldSize() {
        return 1;
    }

    @Override
    public void allReduce(List<Tensor> tensors, ReduceOp op) {
        checkOpen();
    }

    @Override
    public void broadcast(Tensor tensor, int root) {
        checkOpen();
        if (root != 0) {
            throw new IllegalArgumentException("broadcast root " + root + " is not a rank of a group of size 1");
        }
    }

    @Override
    public byte[][] allGather(byte[] mine) {
        checkOpen();
        return new byte[][] {mine.clone()};
    }

    @Override
    public void barrier() {
        checkOpen();
    }

    private void checkOpen() {
        if (closed) {
            throw new DistributedException("process group is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}
