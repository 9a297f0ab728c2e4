package dev.kiln.distributed;

import java.nio.ByteBuffer;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The group's sending thread ({@code kiln-ring-send-r<rank>}): runs one {@link Job} at a time, writing an
 * {@link Duplex.Outgoing} stream to the right neighbour while the caller receives. When the stream is gated
 * (a forward waiting for bytes still to arrive) it parks until the receiver wakes it; when the socket is full
 * it waits on the write selector, and fails after the op timeout without progress. The receiving thread may
 * also write (never block) right after it made bytes final, under the job's lock; see
 * {@link Job#pumpFromReceiver()}.
 */
final class Sender {
    private final Duplex link;
    private final Thread thread;
    private final SynchronousQueue<Job> handoff = new SynchronousQueue<>();
    private volatile boolean stopped;

    Sender(Duplex link, String name) {
        this.link = link;
        this.thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** One stream being sent; the caller waits for it, cancels it, or learns its failure. */
    final class Job {
        private final Duplex.Outgoing out;
        private final String what;
        private volatile boolean finished;
        private volatile boolean cancelled;
        private volatile RuntimeException failure;
        private volatile boolean parked;
        private final Thread caller = Thread.currentThread();
        private final ReentrantLock lock = new ReentrantLock(); // one writer at a time: sender or receiver
        private volatile long lastProgress;

        private Job(Duplex.Outgoing out, String what) {
            this.out = out;
            this.what = what;
        }

        /** Called by the receiver after progress: lets a gated forward continue. */
        void wake() {
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        void rethrowIfFailed() {
            RuntimeException f = failure;
            if (f != null) {
                throw f;
            }
        }

        /** Waits until the stream was sent, bounded by twice the op timeout (the sender has its own). */
        void await() {
            long deadline = System.nanoTime() + 2 * link.timeout().toNanos();
            while (!finished) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    cancel();
                    throw new DistributedException("rank " + link.rank() + " timed out waiting for its sender thread "
                            + "to finish " + what);
                }
                LockSupport.parkNanos(this, Math.min(left, 10_000_000L));
                link.checkInterrupt(what);
            }
            rethrowIfFailed();
        }

        /** Stops the stream and waits (briefly) until the sender no longer touches its buffers. */
        void cancel() {
            cancelled = true;
            LockSupport.unpark(thread);
            link.wakeWriter();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!finished && System.nanoTime() < deadline) {
                LockSupport.parkNanos(this, 1_000_000L);
            }
        }

        private void run() {
            try {
                send();
            } catch (RuntimeException e) {
                failure = e;
                link.wakeReader(); // the receiver may be waiting in select: let it see the failure now
            } finally {
                finished = true;
                LockSupport.unpark(caller);
            }
        }

        /**
         * Called by the receiver right after it made bytes final: forwards them on the receiving thread if the
         * socket takes them now and the sender is not mid-write, so the forward path needs no thread hop (on a
         * loaded machine every wake-up waits for a time slice). Anything left is the sender's job.
         */
        void pumpFromReceiver() {
            if (finished || cancelled || !lock.tryLock()) {
                return;
            }
            try {
                pump();
            } finally {
                lock.unlock();
            }
            wake();
        }

        private static final int DONE = 0;
        private static final int GATED = 1;
        private static final int FULL = 2;

        /** Writes until the stream is done, gated, or the socket is full; call under {@link #lock}. */
        private int pump() {
            while (!out.done()) {
                ByteBuffer s = out.current();
                if (s == null) {
                    return GATED;
                }
                if (link.write(s, what) == 0) {
                    return FULL;
                }
                lastProgress = System.nanoTime();
            }
            return DONE;
        }

        private void send() {
            lastProgress = System.nanoTime();
            long timeout = link.timeout().toNanos();
            while (true) {
                if (cancelled || link.isClosed()) {
                    link.checkOpen(what);
                    return;
                }
                int state;
                lock.lock();
                try {
                    state = pump();
                } finally {
                    lock.unlock();
                }
                if (state == DONE) {
                    return;
                }
                if (state == GATED) { // the receiver has not made the bytes to forward final yet
                    parked = true;
                    if (!cancelled && gated()) {
                        LockSupport.parkNanos(this, 50_000_000L);
                    }
                    parked = false;
                    lastProgress = System.nanoTime(); // waiting on the receiver is the receiver's timeout
                    continue;
                }
                long left = timeout - (System.nanoTime() - lastProgress);
                if (left <= 0) {
                    throw new DistributedException("rank " + link.rank() + " timed out after " + link.timeout()
                            + " waiting for " + link.rightPeer() + " to read what it sent of " + what + " (it has not "
                            + "read a byte since). The peer may be dead, stuck, or not calling the same collective.");
                }
                link.awaitWritable(left, what);
            }
        }

        private boolean gated() {
            lock.lock();
            try {
                return !out.done() && out.current() == null;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Hands {@code out} to the sender thread. */
    Job start(Duplex.Outgoing out, String what) {
        Job job = new Job(out, what);
        try {
            if (stopped || !handoff.offer(job, link.timeout().toNanos(), TimeUnit.NANOSECONDS)) {
                link.checkOpen(what);
                throw new DistributedException("rank " + link.rank() + "'s sender thread did not take " + what);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DistributedException("rank " + link.rank() + " was interrupted starting " + what);
        }
        return job;
    }

    private void loop() {
        while (!stopped) {
            try {
                Job job = handoff.poll(100, TimeUnit.MILLISECONDS);
                if (job != null) {
                    job.run();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void stop() {
        stopped = true;
        thread.interrupt();
    }

    void join() {
        stop();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
