package dev.kiln.spark.train;

import dev.kiln.nn.Module;
import java.io.Serializable;

/**
 * Builds the model, on the driver and in every task: {@code () -> new Sequential(new Linear(784, 10))}. Being
 * {@link Serializable}, a Java lambda or a Scala function works, so models can be defined in spark-shell. Every
 * rank calls it under the same seed, and rank 0's initial weights are then broadcast, so all ranks start equal.
 */
@FunctionalInterface
public interface ModelFactory extends Serializable {
    Module create();
}
