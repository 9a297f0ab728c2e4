package dev.kiln.examples.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress within an epoch: {@code epoch 2/4 [#######.............] 35%  loss 0.0812  1,210 samples/s  ETA 0:41}.
 * On a terminal the line is redrawn in place every {@code interval}; otherwise (a log, a pipe) a line is printed at
 * every quarter of the epoch, so logs stay short.
 */
public final class ProgressLine {
    private static final int BAR = 20;

    private final PrintStream out;
    private final boolean terminal;
    private final long intervalNanos;
    private long lastPrint;
    private int lastQuarter;
    private boolean dirty;

    public ProgressLine(PrintStream out, boolean terminal, double intervalSeconds) {
        this.out = out;
        this.terminal = terminal;
        this.intervalNanos = (long) (intervalSeconds * 1e9);
    }

    /** For standard output: redraws in place when it is a terminal. */
    public static ProgressLine stdout() {
        return new ProgressLine(System.out, System.console() != null, 1.0);
    }

    /** Starts an epoch (resets the quarter counter). */
    public void startEpoch() {
        lastQuarter = 0;
        lastPrint = System.nanoTime();
    }

    /**
     * Reports {@code done} of {@code total} samples of epoch {@code epoch}/{@code epochs}; {@code loss} NaN leaves it
     * out. Prints only when due.
     */
    public void update(int epoch, int epochs, long done, long total, double loss, double samplesPerSecond) {
        long now = System.nanoTime();
        double fraction = total > 0 ? Math.min(1, done / (double) total) : 0;
        int quarter = (int) Math.floor(fraction * 4);
        boolean due = terminal ? now - lastPrint >= intervalNanos : quarter > lastQuarter && quarter < 4;
        if (!due) {
            return;
        }
        lastPrint = now;
        lastQuarter = quarter;
        String line = format(epoch, epochs, fraction, loss, samplesPerSecond,
                samplesPerSecond > 0 ? (total - done) / samplesPerSecond : Double.NaN);
        if (terminal) {
            out.print("\r" + line);
            dirty = true;
        } else {
            out.println(line);
        }
        out.flush();
    }

    /** Clears an in-place line before a normal line is printed. */
    public void finishLine() {
        if (terminal && dirty) {
            out.print("\r" + " ".repeat(100) + "\r");
            out.flush();
            dirty = false;
        }
    }

    /** The text of one progress line; the ETA is for the rest of this epoch. */
    public static String format(int epoch, int epochs, double fraction, double loss, double samplesPerSecond,
                                double etaSeconds) {
        int filled = (int) Math.round(fraction * BAR);
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "epoch %d/%d [%s%s] %3.0f%%", epoch, epochs,
                "#".repeat(filled), ".".repeat(BAR - filled), 100 * fraction));
        if (!Double.isNaN(loss)) {
            b.append(String.format(Locale.ROOT, "  loss %.4f", loss));
        }
        if (samplesPerSecond > 0) {
            b.append(String.format(Locale.ROOT, "  %,.0f samples/s", samplesPerSecond));
        }
        if (Double.isFinite(etaSeconds)) {
            long s = Math.max(0, Math.round(etaSeconds));
            b.append(String.format(Locale.ROOT, "  ETA %d:%02d", s / 60, s % 60));
        }
        return b.toString();
    }
}
