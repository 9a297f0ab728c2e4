package dev.kiln.spark.train;

import java.io.Serializable;

/**
 * A training loop that runs once per barrier task, on that task's rows; what it returns travels to the driver
 * ({@link DistributedTrainer#run} returns every rank's result, indexed by rank). Being {@link Serializable}, a Java
 * lambda or a Scala function literal works, so it can be written in spark-shell.
 *
 * @param <R> what the loop returns (serializable: it is sent to the driver), e.g. rank 0's state dict bytes
 */
@FunctionalInterface
public interface TrainFn<R extends Serializable> extends Serializable {
    R train(TrainingContext ctx, PartitionData data) throws Exception;
}
