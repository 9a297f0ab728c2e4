package dev.kiln.spark.train;

import dev.kiln.Kiln;
import dev.kiln.KilnContext;
import dev.kiln.distributed.ProcessGroup;
import dev.kiln.distributed.TcpOptions;
import dev.kiln.distributed.TcpProcessGroup;
import java.io.Serializable;
import java.net.InetAddress;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.sql.catalyst.InternalRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * What one barrier task runs: read the partition into Arrow-backed tensors, meet the other ranks (one Spark
 * {@code allGather}), connect to them directly, run the user's loop, and release everything it allocated.
 *
 * <p>The task's rank is its partition id. It gets its own {@link KilnContext}: a child allocator (leak-checked when
 * the task ends), {@code spark.task.cpus} kernel threads (or {@link TrainerConfig#threadsPerTask()}), a generator
 * seeded with the run's seed, and no GC valve (a full GC would stall every task of the executor).
 */
final class BarrierTask<R extends Serializable>
        extends AbstractFunction1<Iterator<InternalRow>, Iterator<BarrierTask.Result<R>>> implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(BarrierTask.class);
    private static final java.util.concurrent.atomic.AtomicLong LEAKS = new java.util.concurrent.atomic.AtomicLong();

    private final TrainerConfig config;
    private final InputColumns columns;
    private final TrainFn<R> fn;
    private final byte[] secret;
    private final CheckpointStore checkpoints;
    private final Progress.Reporter progress;
    private final int attempt;

    /** One rank's return value, on its way to the driver. */
    record Result<R extends Serializable>(int rank, R value) implements Serializable {
    }

    BarrierTask(TrainerConfig config, InputColumns columns, TrainFn<R> fn, byte[] secret,
                CheckpointStore checkpoints, Progress.Reporter progress, int attempt) {
        this.config = config;
        this.columns = columns;
        this.fn = fn;
        this.secret = secret.clone();
        this.checkpoints = checkpoints;
        this.progress = progress;
        this.attempt = attempt;
    }

    @Override
    public Iterator<Result<R>> apply(Iterator<InternalRow> rows) {
        BarrierTaskContext task = BarrierTaskContext.get();
        int rank = task.partitionId();
        int world = task.getTaskInfos().length;
        int threads = config.threadsPerTask() > 0 ? config.threadsPerTask() : Math.max(1, task.cpus());
        BufferAllocator allocator = Kiln.rootAllocator().newChildAllocator("kiln-rank-" + rank + "-stage-"
                + task.stageId() + "." + task.stageAttemptNumber(), 0, Long.MAX_VALUE);
        R value;
        try (KilnContext kiln = KilnContext.builder().seed(config.seed()).numThreads(threads).allocator(allocator)
                .gcPressure(false).open()) {
            value = runRank(task, rank, world, CollectionConverters.asJava(rows), allocator);
        } finally {
            closeAllocator(allocator);
        }
        return CollectionConverters.asScala(List.of(new Result<>(rank, value)).iterator());
    }

    private R runRank(BarrierTaskContext task, int rank, int world, java.util.Iterator<InternalRow> rows,
                      BufferAllocator allocator) {
        PartitionData data = null;
        dev.kiln.tensor.Device device = null;
        TcpProcessGroup.Listener listener = null;
        String error = null;
        double readSeconds = 0;
        try {
            device = Devices.resolve(config.device(), task);
            long t0 = System.nanoTime();
            data = new PartitionReader(columns, rank).read(rows, allocator);
            readSeconds = (System.nanoTime() - t0) / 1e9;
            if (world > 1) {
                listener = TcpProcessGroup.listen(InetAddress.getByName(host(task, rank)), secret, tcpOptions());
            }
        } catch (Exception e) {
            error = describe(e);
        }
        try (PartitionData owned = data; TcpProcessGroup.Listener l = listener) {
            Rendezvous mine = new Rendezvous(l == null ? null : l.address(), data == null ? 0 : data.rows(),
                    data == null ? 0 : data.featureDim(), error);
            List<Rendezvous> all = world > 1 ? Rendezvous.parseAll(task.allGather(mine.toJson())) : List.of(mine);
            Rendezvous.check(all, columns);
            long[] rowsPerRank = all.stream().mapToLong(Rendezvous::rows).toArray();
            data.setRanks(rank, rowsPerRank);
            try (ProcessGroup group = world > 1
                    ? l.connect(rank, all.stream().map(Rendezvous::address).toList())
                    : new SingleProcessGroup()) {
                TrainingContext ctx = new TrainingContext(group, config, attempt, checkpoints, progress, device);
                LOG.info(String.format(java.util.Locale.ROOT, "Kiln rank %d/%d training on %d rows x %d features "
                        + "on %s (read from Spark in %.2f s, %,.0f rows/s; attempt %d)", rank, world, data.rows(),
                        data.featureDim(), device, readSeconds, data.rows() / Math.max(readSeconds, 1e-9), attempt));
                return fn.train(ctx, data);
            }
        } catch (KilnTrainingException e) {
            throw e;
        } catch (dev.kiln.distributed.DistributedException e) {
            // A rank that failed because a peer vanished is a bystander: give the peer's own failure (the root cause)
            // a moment to reach the driver first, since Spark reports the first failed task of a barrier stage.
            pause(BYSTANDER_DELAY_MS);
            throw new KilnTrainingException("rank " + rank + ": " + e.getMessage(), e);
        } catch (Exception e) {
            throw new KilnTrainingException("rank " + rank + " failed: " + describe(e), e);
        }
    }

    private static final long BYSTANDER_DELAY_MS = 2000;

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The message users can act on: ours as is, anything unexpected with its exception class. */
    private static String describe(Exception e) {
        boolean ours = e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof UnsupportedOperationException || e instanceof dev.kiln.distributed.DistributedException;
        return ours && e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private TcpOptions tcpOptions() {
        TcpOptions d = TcpOptions.defaults();
        return new TcpOptions(config.connectTimeout(), config.opTimeout(), d.bucketBytes());
    }

    /** The host Spark runs this task's executor on ({@code host:port}, IPv6 hosts in brackets). */
    private static String host(BarrierTaskContext task, int rank) {
        String address = task.getTaskInfos()[rank].address();
        int colon = address.lastIndexOf(':');
        String host = colon > 0 ? address.substring(0, colon) : address;
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /**
     * Closes the task's allocator. A loop that left tensors open (a model it never closed, say) does not fail the
     * run for it — the GC safety net frees them later — but it is logged, and counted for the leak tests.
     */
    private static void closeAllocator(BufferAllocator allocator) {
        try {
            allocator.close();
        } catch (IllegalStateException leak) {
            LEAKS.incrementAndGet();
            LOG.warn("Kiln training task left off-heap memory allocated (close tensors and models, or use a "
                    + "TensorScope); the GC safety net will free it: {}", leak.getMessage());
        }
    }

    /** Tasks in this JVM whose allocator was not empty at their end (tests assert it stays 0). */
    static long leakedTasks() {
        return LEAKS.get();
    }
}
