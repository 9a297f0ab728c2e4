package dev.kiln.spark.train;

/**
 * Turns Spark's stage-failure wrapper ("Job aborted due to stage failure: Task 0 in stage 3.0 failed 4 times, most
 * recent failure: ... KilnTrainingException: rank 1 failed: column 'label' ... is null") into an exception whose
 * message is the task's own, keeping Spark's as the cause.
 */
final class Failures {
    private static final String MARKER = KilnTrainingException.class.getName() + ": ";
    private static final String INPUT_MARKER = KilnInputException.class.getName() + ": ";

    private Failures() {
    }

    static RuntimeException explain(Exception e) {
        if (e instanceof KilnTrainingException || e instanceof IllegalArgumentException) {
            return (RuntimeException) e;
        }
        String message = String.valueOf(e.getMessage());
        int input = message.indexOf(INPUT_MARKER);
        if (input >= 0) {
            KilnInputException x = new KilnInputException(firstLine(message.substring(input + INPUT_MARKER.length())));
            x.initCause(e);
            return x;
        }
        int at = message.indexOf(MARKER);
        if (at < 0) {
            return new KilnTrainingException("distributed training failed: " + firstLine(message), e);
        }
        return new KilnTrainingException(firstLine(message.substring(at + MARKER.length())), e);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
