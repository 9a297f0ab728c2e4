package dev.kiln.spark.ml;

import dev.kiln.nn.BCEWithLogitsLoss;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.L1Loss;
import dev.kiln.nn.Loss;
import dev.kiln.nn.MSELoss;
import dev.kiln.nn.NLLLoss;
import dev.kiln.nn.SmoothL1Loss;
import dev.kiln.optim.Adagrad;
import dev.kiln.optim.Adam;
import dev.kiln.optim.AdamW;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.RMSprop;
import dev.kiln.optim.SGD;
import dev.kiln.optim.lr.CosineAnnealingLR;
import dev.kiln.optim.lr.ExponentialLR;
import dev.kiln.optim.lr.LRScheduler;
import dev.kiln.optim.lr.OneCycleLR;
import dev.kiln.optim.lr.StepLR;
import dev.kiln.spark.train.InputColumns;
import dev.kiln.tensor.Tensor;
import java.io.Serializable;
import java.util.List;
import java.util.Set;

/**
 * The estimator's hyper-parameters as plain serializable data, resolved from its Params and shipped to the
 * tasks: which optimizer, loss and LR schedule to build, and how long to train. Names follow PyTorch's classes.
 *
 * @param optimizer   sgd | adam | adamw | rmsprop | adagrad
 * @param loss        cross_entropy | nll | mse | l1 | smooth_l1 | bce_with_logits
 * @param scheduler   none | step (StepLR, every {@code lrStepSize} epochs by {@code lrGamma}) | exponential (per
 *                    epoch by {@code lrGamma}) | cosine (CosineAnnealingLR over all epochs) | onecycle (OneCycleLR
 *                    over all steps, max lr = learningRate)
 * @param batchSize   rows per step per worker; the global batch is {@code batchSize * numWorkers}
 */
public record TrainingSpec(String optimizer, double learningRate, double weightDecay, double momentum, String loss,
                           String scheduler, int lrStepSize, double lrGamma, int epochs, int batchSize,
                           boolean shuffle, long seed, int checkpointEvery) implements Serializable {
    static final Set<String> OPTIMIZERS = Set.of("sgd", "adam", "adamw", "rmsprop", "adagrad");
    static final Set<String> LOSSES = Set.of("cross_entropy", "nll", "mse", "l1", "smooth_l1", "bce_with_logits");
    static final Set<String> SCHEDULERS = Set.of("none", "step", "exponential", "cosine", "onecycle");

    public TrainingSpec {
        check("optimizer", optimizer, OPTIMIZERS);
        check("loss", loss, LOSSES);
        check("lrScheduler", scheduler, SCHEDULERS);
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be a positive number, got " + learningRate);
        }
    }

    private static void check(String param, String value, Set<String> allowed) {
        if (!allowed.contains(value)) {
            throw new IllegalArgumentException(param + " must be one of " + new java.util.TreeSet<>(allowed)
                    + ", got '" + value + "'");
        }
    }

    /** Whether the loss takes class indices (then labels are int64 and accuracy is measured). */
    public boolean classification() {
        return loss.equals("cross_entropy") || loss.equals("nll");
    }

    InputColumns.LabelType labelType() {
        return classification() ? InputColumns.LabelType.INDEX : InputColumns.LabelType.FLOAT;
    }

    Optimizer buildOptimizer(List<Tensor> params) {
        return switch (optimizer) {
            case "sgd" -> new SGD(params, SGD.options().lr(learningRate).weightDecay(weightDecay)
                    .set("momentum", momentum));
            case "adam" -> new Adam(params, Adam.options().lr(learningRate).weightDecay(weightDecay));
            case "adamw" -> new AdamW(params, AdamW.options().lr(learningRate).weightDecay(weightDecay));
            case "rmsprop" -> new RMSprop(params, RMSprop.options().lr(learningRate).weightDecay(weightDecay)
                    .set("momentum", momentum));
            default -> new Adagrad(params, Adagrad.options().lr(learningRate).weightDecay(weightDecay));
        };
    }

    Loss buildLoss() {
        return switch (loss) {
            case "cross_entropy" -> new CrossEntropyLoss();
            case "nll" -> new NLLLoss();
            case "mse" -> new MSELoss();
            case "l1" -> new L1Loss();
            case "smooth_l1" -> new SmoothL1Loss();
            default -> new BCEWithLogitsLoss();
        };
    }

    /** The schedule, or null for none; {@link #stepsPerBatch()} says whether it steps per batch or per epoch. */
    LRScheduler buildScheduler(Optimizer opt, int stepsPerEpoch) {
        return switch (scheduler) {
            case "step" -> new StepLR(opt, lrStepSize, lrGamma);
            case "exponential" -> new ExponentialLR(opt, lrGamma);
            case "cosine" -> new CosineAnnealingLR(opt, epochs);
            case "onecycle" -> new OneCycleLR(opt, learningRate, Math.max(1, epochs * stepsPerEpoch));
            default -> null;
        };
    }

    boolean stepsPerBatch() {
        return scheduler.equals("onecycle");
    }
}
