package dev.kiln.spark.train;

/**
 * Training failed because of its input — a null, a ragged vector, a wrong column — which a retry would only
 * meet again, so the trainer fails at once instead of resubmitting the stage.
 */
public class KilnInputException extends KilnTrainingException {
    public KilnInputException(String message) {
        super(message);
    }
}
