package dev.kiln.spark.ml;

import dev.kiln.autograd.Autograd;
import dev.kiln.checkpoint.Checkpoint;
import dev.kiln.data.Batch;
import dev.kiln.distributed.DistributedDataParallel;
import dev.kiln.distributed.ReduceOp;
import dev.kiln.nn.Loss;
import dev.kiln.nn.Module;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.lr.LRScheduler;
import dev.kiln.spark.train.CheckpointStore;
import dev.kiln.spark.train.ModelFactory;
import dev.kiln.spark.train.PartitionData;
import dev.kiln.spark.train.Progress;
import dev.kiln.spark.train.StateDictBytes;
import dev.kiln.spark.train.TrainFn;
import dev.kiln.spark.train.TrainingContext;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The training loop {@link KilnEstimator#fit} runs on every rank: PyTorch's canonical loop (zero_grad, forward,
 * loss, backward, average gradients over ranks, step), plus resume from the newest checkpoint, per-epoch metrics
 * over all ranks, and rank 0's weights returned to the driver.
 *
 * <p>Gradients are averaged by {@link DistributedDataParallel} (bucketed, overlapping backward) and weighted by rows:
 * each rank's mean loss is scaled by its share of the step's global rows, so the result is the gradient of the
 * mean loss over the global batch even when ranks hold different numbers of rows. Hence N workers with batch size
 * B train exactly like one process with batch size N*B on the same rows.
 */
final class EstimatorLoop implements TrainFn<EstimatorLoop.Output> {
    private static final long serialVersionUID = 1L;

    private final ModelFactory factory;
    private final TrainingSpec spec;

    /** Rank 0's trained weights (safetensors bytes) and the per-epoch history; null on other ranks. */
    record Output(byte[] stateDict, List<Progress.Epoch> history) implements Serializable {
    }

    EstimatorLoop(ModelFactory factory, TrainingSpec spec) {
        this.factory = factory;
        this.spec = spec;
    }

    @Override
    public Output train(TrainingContext ctx, PartitionData data) {
        int steps = data.stepsPerEpoch(spec.batchSize());
        try (Module model = factory.create().to(ctx.device()); Loss criterion = spec.buildLoss();
             Optimizer optimizer = spec.buildOptimizer(model.parameters());
             DistributedDataParallel<Module> ddp = new DistributedDataParallel<>(model, ctx.processGroup())) {
            LRScheduler scheduler = spec.buildScheduler(optimizer, steps); // ddp broadcast rank 0's weights
            long resumeStep = resume(ctx, model, optimizer, scheduler);
            int startEpoch = steps == 0 ? 0 : (int) (resumeStep / steps);
            List<Progress.Epoch> history = new ArrayList<>();
            long started = System.nanoTime();
            long globalStep = (long) startEpoch * steps;
            model.train();
            for (int epoch = startEpoch; epoch < spec.epochs(); epoch++) {
                long epochStart = System.nanoTime();
                double[] sums = new double[3]; // loss * rows, correct, rows (this rank)
                int step = 0;
                for (Batch batch : data.epoch(epoch, spec.batchSize(), spec.shuffle(), spec.seed())) {
                    try (batch) {
                        if (globalStep >= resumeStep) {
                            trainStep(ctx, data, ddp, criterion, optimizer, batch, step, globalStep, sums);
                            if (scheduler != null && spec.stepsPerBatch()) {
                                scheduler.step();
                            }
                            globalStep++;
                            maybeCheckpoint(ctx, model, optimizer, scheduler, epoch, globalStep);
                        } else {
                            globalStep++;
                        }
                    }
                    step++;
                }
                if (scheduler != null && !spec.stepsPerBatch()) {
                    scheduler.step();
                }
                Progress.Epoch e = epochMetrics(ctx, sums, epoch, epochStart, started, startEpoch);
                history.add(e);
                ctx.reportEpoch(e);
                if (ctx.checkpoints() != null && ctx.rank() == 0) {
                    ctx.checkpoints().save(model, optimizer, scheduler, epoch + 1, globalStep);
                }
            }
            ctx.broadcastState(model); // buffers (BatchNorm statistics) drift per rank; keep rank 0's everywhere
            return ctx.rank() == 0 ? new Output(StateDictBytes.save(model), history) : null;
        }
    }

    /**
     * One step. DDP averages gradients (AVG over ranks) in buckets while backward runs; scaling the local mean loss
     * by {@code worldSize * localRows / globalRows} first makes that average the gradient of the mean loss over the
     * step's global batch, however the rows are spread over ranks. A rank without rows this step joins the same
     * all-reduces with zero gradients.
     */
    private void trainStep(TrainingContext ctx, PartitionData data, DistributedDataParallel<Module> ddp,
                           Loss criterion, Optimizer optimizer, Batch batch, int step, long globalStep, double[] sums) {
        ctx.faultPoint(globalStep);
        ctx.seedStep(globalStep);
        try (TensorScope scope = TensorScope.open()) {
            optimizer.zeroGrad();
            long rows = batch.batchSize();
            if (rows > 0) {
                Tensor features = batch.features().to(ctx.device()); // no copy on the CPU
                Tensor labels = batch.labels().to(ctx.device());
                Tensor out = ddp.forward(features);
                Tensor target = spec.classification() ? labels : matchShape(labels, out);
                Tensor loss = criterion.forward(out, target);
                double scale = ctx.worldSize() * TrainingContext.meanWeight(rows,
                        data.globalBatchRows(step, spec.batchSize()));
                (scale == 1.0 ? loss : loss.mul(scale)).backward();
                sums[0] += loss.item() * rows;
                sums[2] += rows;
                if (spec.classification()) {
                    try (var noGrad = Autograd.noGrad()) {
                        sums[1] += out.argmax(1, false).eq(labels).sum().item();
                    }
                }
            } else {
                ddp.syncGradientsWithoutBackward();
            }
            optimizer.step();
        }
    }

    /** A float target {@code [B]} against a {@code [B, 1]} output becomes {@code [B, 1]} (PyTorch would broadcast). */
    private static Tensor matchShape(Tensor target, Tensor out) {
        if (out.dim() == 2 && out.size(1) == 1 && target.dim() == 1) {
            return target.view(target.size(0), 1);
        }
        return target.dtype() == out.dtype() ? target : target.to(out.dtype());
    }

    /** Where to start: the newest checkpoint's global step (rank 0 decides, so all ranks agree), else 0. */
    private long resume(TrainingContext ctx, Module model, Optimizer optimizer, LRScheduler scheduler) {
        CheckpointStore store = ctx.checkpoints();
        if (store == null) {
            return 0;
        }
        long mine = ctx.rank() == 0 ? store.latestStep() : -1;
        long latest = ByteBuffer.wrap(ctx.allGather(ByteBuffer.allocate(8).putLong(mine).array())[0]).getLong();
        if (latest < 0) {
            return 0;
        }
        Checkpoint.Resume r = store.load(latest, model, optimizer, scheduler);
        return r.step();
    }

    private void maybeCheckpoint(TrainingContext ctx, Module model, Optimizer optimizer, LRScheduler scheduler,
                                 int epoch, long globalStep) {
        if (ctx.checkpoints() != null && ctx.rank() == 0 && spec.checkpointEvery() > 0
                && globalStep % spec.checkpointEvery() == 0) {
            ctx.checkpoints().save(model, optimizer, scheduler, epoch, globalStep);
        }
    }

    private Progress.Epoch epochMetrics(TrainingContext ctx, double[] sums, int epoch, long epochStart, long started,
                                        int startEpoch) {
        double lossSum;
        double correct;
        double rows;
        try (TensorScope scope = TensorScope.open()) {
            Tensor t = Tensor.of(sums).to(DType.FLOAT64);
            ctx.allReduce(t, ReduceOp.SUM);
            double[] total = t.toDoubleArray();
            lossSum = total[0];
            correct = total[1];
            rows = total[2];
        }
        double seconds = (System.nanoTime() - epochStart) / 1e9;
        double perEpoch = (System.nanoTime() - started) / 1e9 / (epoch - startEpoch + 1);
        return new Progress.Epoch(epoch + 1, spec.epochs(), rows > 0 ? lossSum / rows : Double.NaN,
                spec.classification() && rows > 0 ? correct / rows : Double.NaN, (long) rows, seconds,
                perEpoch * (spec.epochs() - epoch - 1));
    }
}
