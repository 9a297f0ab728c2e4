package dev.kiln.spark.train;

import dev.kiln.distributed.ProcessGroup;
import dev.kiln.distributed.ReduceOp;
import dev.kiln.nn.Module;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;

/**
 * What one rank's training loop sees of the distributed run: its rank, the world size, the collectives of its
 * {@link ProcessGroup}, checkpoints, and progress reporting to the driver. One per barrier task; not thread-safe.
 */
public final class TrainingContext {
    private final ProcessGroup group;
    private final TrainerConfig config;
    private final int attempt;
    private final CheckpointStore checkpoints;
    private final Progress.Reporter progress;
    private final Device device;

    TrainingContext(ProcessGroup group, TrainerConfig config, int attempt, CheckpointStore checkpoints,
                    Progress.Reporter progress, Device device) {
        this.device = device;
        this.group = group;
        this.config = config;
        this.attempt = attempt;
        this.checkpoints = checkpoints;
        this.progress = progress;
    }

    /**
     * The device this rank trains on: the GPU Spark assigned to the task (with {@code device} "cuda", or "auto"
     * where CUDA works), else the CPU. Move the model ({@code model.to(ctx.device())}) and each batch there.
     */
    public Device device() {
        return device;
    }

    public int rank() {
        return group.rank();
    }

    public int worldSize() {
        return group.worldSize();
    }

    public ProcessGroup processGroup() {
        return group;
    }

    public TrainerConfig config() {
        return config;
    }

    /** Which attempt of the run this is: 0 first, higher after a failure resubmitted the stage (then resume). */
    public int attempt() {
        return attempt;
    }

    public void allReduce(List<Tensor> tensors, ReduceOp op) {
        group.allReduce(tensors, op);
    }

    public void allReduce(Tensor tensor, ReduceOp op) {
        group.allReduce(tensor, op);
    }

    public void broadcast(Tensor tensor, int root) {
        group.broadcast(tensor, root);
    }

    public byte[][] allGather(byte[] mine) {
        return group.allGather(mine);
    }

    /** Waits for every rank (over Kiln's own connections; Spark's {@code barrier()} costs about a second). */
    public void barrier() {
        group.barrier();
    }

    /** Overwrites every rank's parameters and buffers with rank 0's, so all ranks start from the same weights. */
    public void broadcastState(Module model) {
        try (TensorScope scope = TensorScope.open()) { // stateDict()'s views must not outlive the call
            for (Tensor t : model.stateDict().values()) {
                if (t.isContiguous()) {
                    group.broadcast(t, 0);
                } else {
                    Tensor c = t.contiguous();
                    group.broadcast(c, 0);
                    copyInto(t, c);
                }
            }
        }
    }

    private static void copyInto(Tensor target, Tensor source) {
        try (var noGrad = dev.kiln.autograd.Autograd.noGrad()) {
            target.copy_(source);
        }
    }

    /**
     * Averages gradients over ranks, weighting each rank's by {@code localWeight}: every {@code .grad} is multiplied
     * by {@code localWeight} and summed over ranks. With {@code localWeight = localRows / globalRows} (see
     * {@link #meanWeight}) and a mean-reduced loss, the result is the gradient of the mean loss over the global
     * batch — exactly what one process would compute on all rows. A parameter without a gradient this step
     * contributes zeros (every rank must reduce the same tensors).
     */
    public void allReduceGradients(List<Tensor> parameters, double localWeight) {
        java.util.Map<dev.kiln.tensor.DType, List<Tensor>> byDtype = new java.util.LinkedHashMap<>();
        for (Tensor p : parameters) {
            if (!p.requiresGrad()) {
                continue;
            }
            Tensor g = p.grad();
            if (g == null || !g.isContiguous()) {
                try (TensorScope scope = TensorScope.open()) {
                    p.setGrad(TensorScope.detach(g == null ? Tensor.zeros(p.dtype(), p.shape()) : g.contiguous()));
                }
                g = p.grad();
            }
            if (localWeight != 1.0) {
                try (var noGrad = dev.kiln.autograd.Autograd.noGrad()) {
                    g.mul_(localWeight);
                }
            }
            byDtype.computeIfAbsent(g.dtype(), d -> new ArrayList<>()).add(g);
        }
        for (List<Tensor> grads : byDtype.values()) { // one collective per dtype, the same order on every rank
            group.allReduce(grads, ReduceOp.SUM);
        }
    }

    /**
     * Wraps {@code model} in PyTorch-style {@link dev.kiln.distributed.DistributedDataParallel} over this run's
     * process group (rank 0's weights broadcast now; gradients averaged in buckets during backward). Closing it
     * closes the model.
     */
    public <M extends Module> dev.kiln.distributed.DistributedDataParallel<M> ddp(M model) {
        return new dev.kiln.distributed.DistributedDataParallel<>(model, group);
    }

    /** {@code localRows / globalRows}, or 0 for a step with no rows anywhere. */
    public static double meanWeight(long localRows, long globalRows) {
        return globalRows == 0 ? 0 : (double) localRows / globalRows;
    }

    /**
     * Reseeds the thread's default generator (dropout, random init inside the loop) for global step {@code step}
     * as a pure function of (seed, rank, step): a run resumed from a checkpoint at that step draws exactly what the
     * uninterrupted run drew, without saving generator state per rank.
     */
    public void seedStep(long step) {
        Generator.defaultGenerator().manualSeed(PartitionData.orderSeed(config.seed() ^ 0x5DEECE66DL, (int) step,
                rank()));
    }

    /** The checkpoint directory's store, or null when no checkpoint directory was configured. */
    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    /** Rank 0's per-epoch metrics go to the driver log and the Spark UI; other ranks' calls are ignored. */
    public void reportEpoch(Progress.Epoch epoch) {
        if (rank() == 0 && progress != null) {
            progress.report(epoch);
        }
    }

    /** Test hook: throws on the configured rank and step of the stage's first attempt (see TrainerConfig). */
    public void faultPoint(long step) {
        TrainerConfig.FaultInjection f = config.fault();
        if (f != null && attempt == 0 && f.rank() == rank() && f.step() == step) {
            throw new IllegalStateException("injected fault: rank " + rank() + " at step " + step
                    + " (stage attempt 0; the stage retry resumes from the last checkpoint)");
        }
    }
}
