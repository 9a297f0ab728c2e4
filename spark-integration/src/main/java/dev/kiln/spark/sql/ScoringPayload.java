package dev.kiln.spark.sql;

import dev.kiln.spark.train.ModelFactory;
import java.io.Serializable;

/**
 * What executors need to build a model, broadcast once per {@code KilnModel} and SparkContext: the architecture's
 * factory, the weights as safetensors bytes, and a key naming this pair, under which each executor JVM keeps its
 * built replicas ({@link ModelReplicas}).
 *
 * @param key     unique per (architecture, weights); copies of one model share it
 * @param factory builds the module (a {@code ModelSpec} or a serializable lambda)
 * @param weights the state dict as safetensors bytes
 */
public record ScoringPayload(String key, ModelFactory factory, byte[] weights) implements Serializable {
    public ScoringPayload {
        if (key == null || factory == null || weights == null) {
            throw new IllegalArgumentException("a scoring payload needs a key, a model factory and weights");
        }
    }
}
