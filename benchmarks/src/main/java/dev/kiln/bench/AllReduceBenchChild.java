package dev.kiln.bench;

import dev.kiln.Kiln;
import dev.kiln.distributed.ReduceOp;
import dev.kiln.distributed.TcpOptions;
import dev.kiln.distributed.TcpProcessGroup;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.BufferAllocator;

/**
 * One rank of {@link AllReduceBench}, in its own JVM: gets the secret from the parent, publishes its addresses,
 * forms the group and the raw connection, times both alternately and reports {@code result <bytes> <allReduce
 * s> <raw s>} lines (rank 0) over the control socket.
 */
public final class AllReduceBenchChild {
    private AllReduceBenchChild() {
    }

    public static void main(String[] args) throws Exception {
        int rank = Integer.parseInt(args[0]);
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (Socket control = new Socket(lo, Integer.parseInt(args[1]));
             ServerSocketChannel rawServer = ServerSocketChannel.open().bind(new InetSocketAddress(lo, 0))) {
            control.setSoTimeout(600_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(control.getInputStream(),
                    StandardCharsets.UTF_8));
            PrintWriter out = new PrintWriter(control.getOutputStream(), true, StandardCharsets.UTF_8);
            byte[] secret = HexFormat.of().parseHex(in.readLine().split(" ")[1]);
            TcpProcessGroup.Listener listener = TcpProcessGroup.listen(lo, secret, TcpOptions.defaults());
            String rawAddress = "127.0.0.1:" + ((InetSocketAddress) rawServer.getLocalAddress()).getPort();
            out.println("hello " + rank + " " + listener.address() + " " + rawAddress);
            String[] go = in.readLine().split(" "); // go <addr0> <addr1> <raw address of rank 1> <quick|full>
            try (TcpProcessGroup pg = listener.connect(rank, List.of(go[1], go[2]));
                 SocketChannel raw = rank == 0 ? SocketChannel.open(parse(go[3])) : rawServer.accept()) {
                raw.socket().setTcpNoDelay(true);
                measure(pg, raw, out, go[4].equals("quick"));
            }
            out.println("done");
        }
    }

    private static void measure(TcpProcessGroup pg, SocketChannel raw, PrintWriter report, boolean quick)
            throws Exception {
        BufferAllocator alloc = Kiln.rootAllocator().newChildAllocator("allreduce-bench", 0, Long.MAX_VALUE);
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (TensorScope scope = TensorScope.open(alloc)) {
            for (long mb : AllReduceBench.SIZES_MB) {
                long bytes = mb * 1_000_000;
                int reps = quick ? 2 : mb <= 4 ? 25 : mb <= 40 ? 9 : 5;
                try (TensorScope step = TensorScope.open()) {
                    Tensor data = Tensor.ones(DType.FLOAT32, bytes / 4);
                    Tensor sink = Tensor.zeros(DType.FLOAT32, bytes / 2 / 4); // raw receives size * 2(n-1)/n
                    double[] tAll = new double[reps];
                    double[] tRaw = new double[reps];
                    double[] cpuAll = new double[reps];
                    double[] cpuRaw = new double[reps];
                    int warm = quick ? 2 : mb <= 4 ? 200 : 3; // the first size also warms the JIT up (~1-3 s)
                    for (int r = -warm; r < reps; r++) { // warm-up rounds: JIT, page faults, TCP windows
                        long c0 = cpuNanos();
                        double a = timeAllReduce(pg, data);
                        long c1 = cpuNanos();
                        double b = timeRaw(pg, raw, writer, data, sink, bytes); // busBytes for n = 2: bytes
                        long c2 = cpuNanos();
                        if (r >= 0) {
                            tAll[r] = a;
                            tRaw[r] = b;
                            cpuAll[r] = (c1 - c0) / 1e9;
                            cpuRaw[r] = (c2 - c1) / 1e9;
                        }
                    }
                    if (pg.rank() == 0) {
                        report.println("result " + bytes + " " + median(tAll) + " " + median(tRaw) + " "
                                + median(cpuAll) + " " + median(cpuRaw));
                    }
                }
            }
        } finally {
            writer.shutdownNow();
            alloc.close();
        }
    }

    /**
     * CPU time (user + system) of all Java threads of this JVM, in nanoseconds: per-thread clocks, so it has
     * nanosecond resolution (the process clock ticks in 10 ms) and other processes' load does not inflate it.
     */
    private static long cpuNanos() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threads.getAllThreadIds()) {
            long t = threads.getThreadCpuTime(id);
            if (t > 0) {
                sum += t;
            }
        }
        return sum;
    }

    private static double timeAllReduce(TcpProcessGroup pg, Tensor data) {
        pg.barrier();
        long t0 = System.nanoTime();
        pg.allReduce(data, ReduceOp.SUM);
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * Sends {@code bytes} from {@code data} while receiving as many into {@code sink}, both at once over one
     * plain blocking socket. For n = 2 the all-reduce moves size * 2(n-1)/n = size bytes each way, so
     * {@code bytes} is the tensor's size; the sink holds half of it and is filled twice (like the two ring
     * phases, which each receive half).
     */
    private static double timeRaw(TcpProcessGroup pg, SocketChannel raw, ExecutorService writer, Tensor data,
                                  Tensor sink, long bytes) throws Exception {
        ByteBuffer src = data.storage().arrowBuf().nioBuffer(0, (int) bytes);
        long sinkBytes = sink.numel() * 4;
        pg.barrier();
        long t0 = System.nanoTime();
        Future<?> sent = writer.submit(() -> {
            ByteBuffer s = src.duplicate();
            while (s.hasRemaining()) {
                raw.write(s);
            }
            return null;
        });
        long received = 0;
        while (received < bytes) {
            ByteBuffer dst = sink.storage().arrowBuf().nioBuffer(0, (int) Math.min(sinkBytes, bytes - received));
            while (dst.hasRemaining()) {
                if (raw.read(dst) < 0) {
                    throw new IllegalStateException("the other benchmark JVM closed the raw connection");
                }
            }
            received += dst.capacity();
        }
        sent.get();
        double t = (System.nanoTime() - t0) / 1e9;
        java.lang.ref.Reference.reachabilityFence(data);
        java.lang.ref.Reference.reachabilityFence(sink);
        return t;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static InetSocketAddress parse(String hostPort) {
        int c = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, c), Integer.parseInt(hostPort.substring(c + 1)));
    }
}
