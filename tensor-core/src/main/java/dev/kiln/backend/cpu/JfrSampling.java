package dev.kiln.backend.cpu;

import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/**
 * Whether a Java Flight Recorder recording is sampling thread execution ({@code jdk.ExecutionSample}) in this JVM.
 *
 * <p>Why: to sample a thread, JFR sends it a signal, which may land just after the thread entered native code. oneDNN
 * 3.11's JIT sgemm kernels point the stack register at a heap workspace while they run, so a signal delivered then
 * writes its frame over heap memory (oneDNN issue 4845; README, "Profiling with JFR"): a sampled Kiln process crashed in
 * about 1 of 25 LeNet-5 runs, and the same frame can silently overwrite tensor data. While such a recording runs,
 * {@link DnnlGemm#use()} says no, so float32 products and convolutions take OpenBLAS and im2col (no oneDNN code runs
 * for the sampler to interrupt). {@code -Dkiln.jfrGuard=false} keeps oneDNN (for a oneDNN with the fix).
 *
 * <p>The state follows recordings as they start and stop (a listener, also for recordings started with
 * {@code jcmd JFR.start}); reading it is one volatile read. Registering the listener does not start JFR.
 */
final class JfrSampling {
    private static final System.Logger LOG = System.getLogger(JfrSampling.class.getName());
    private static final String EXECUTION_SAMPLE = "jdk.ExecutionSample#enabled";
    private static volatile boolean active;

    static {
        if (!"false".equals(System.getProperty("kiln.jfrGuard"))) {
            try {
                Watcher.register();
            } catch (Throwable e) { // no jdk.jfr module in this runtime (a jlink'd image), or a security manager
                LOG.log(System.Logger.Level.DEBUG, () -> "Kiln: JFR listener not registered: " + e);
            }
        }
    }

    private JfrSampling() {
    }

    /** True while some running recording samples execution (and the guard is on). */
    static boolean active() {
        return active;
    }

    /** All of the jdk.jfr use, in its own class: a runtime without the module fails in {@link #register} only. */
    private static final class Watcher implements FlightRecorderListener {
        static void register() {
            FlightRecorder.addListener(new Watcher());
        }

        @Override
        public void recorderInitialized(FlightRecorder recorder) {
            update(recorder);
        }

        @Override
        public void recordingStateChanged(Recording recording) {
            update(FlightRecorder.getFlightRecorder()); // initialized: a recording exists
        }

        private static void update(FlightRecorder recorder) {
            synchronized (Watcher.class) {
                boolean sampling = false;
                for (Recording r : recorder.getRecordings()) {
                    if (r.getState() == RecordingState.RUNNING
                            && "true".equals(r.getSettings().get(EXECUTION_SAMPLE))) {
                        sampling = true;
                    }
                }
                if (sampling != active) {
                    LOG.log(System.Logger.Level.INFO, sampling
                            ? "Kiln: a JFR recording samples execution; float32 GEMMs and convolutions use OpenBLAS/"
                                    + "im2col instead of oneDNN until it stops (oneDNN 3.11's sgemm cannot take the "
                                    + "sampler's signal; see README, Profiling with JFR; -Dkiln.jfrGuard=false keeps "
                                    + "oneDNN)"
                            : "Kiln: no JFR recording samples execution any more; oneDNN is used again");
                }
                active = sampling;
            }
        }
    }
}
