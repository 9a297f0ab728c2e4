package dev.kiln.distributed;

import java.nio.ByteBuffer;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The group's sending thread ({@code kiln-ring-send-r<rank>}): runs one {@link Job} at a time, writing an
 * {@link Duplex.Outgoing} stream to the right neighbour while the caller receives. When the stream is gated
 * (a forward waiting for bytes still to arrive) it parks until the receiver wakes it; when the socket is full
 * it waits on the write selector, and fails after the op timeout without progress.
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

        private void send() {
            long idleSince = System.nanoTime();
            long timeout = link.timeout().toNanos();
            while (!out.done()) {
                if (cancelled || link.isClosed()) {
                    link.checkOpen(what);
                    return;
                }
                ByteBuffer s = out.current();
                if (s == null) { // gated: the receiver has not processed the bytes to forward yet
                    parked = true;
                    if (out.current() == null && !cancelled) {
                        LockSupport.parkNanos(this, 50_000_000L);
                    }
                    parked = false;
                    idleSince = System.nanoTime(); // waiting on the receiver is the receiver's timeout
                    continue;
                }
                if (link.write(s, what) > 0) {
                    idleSince = System.nanoTime();
                    continue;
                }
                long left = timeout - (System.nanoTime() - idleSince);
                if (left <= 0) {
                    throw new DistributedException("rank " + link.rank() + " timed out after " + link.timeout()
                            + " waiting for " + link.rightPeer() + " to read what it sent of " + what + " (it has not "
                            + "read a byte since). The peer may be dead, stuck, or not calling the same collective.");
                }
                link.awaitWritable(left, what);
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
