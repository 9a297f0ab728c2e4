package dev.kiln.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * All-reduce bus bandwidth of {@code TcpProcessGroup} between two JVMs on 127.0.0.1, next to raw TCP throughput
 * between the same two JVMs in the same run.
 *
 * <p>This process starts two child JVMs ({@link AllReduceBenchChild}, same classpath and JVM flags) and hands
 * them, over a loopback control socket, each other's addresses and a random job secret. Each child then forms a
 * 2-rank {@code TcpProcessGroup} plus one plain TCP connection to the other child, and for 4, 40 and 400 MB of
 * float32 alternately times (median of several runs, each started after a barrier):
 * <ul>
 *   <li><b>all-reduce</b>: {@code pg.allReduce(tensor, SUM)}; bus bandwidth as NCCL's tests define it,
 *       {@code busbw = size * 2(n-1)/n / time}: the bytes each rank sends (and receives) per second;</li>
 *   <li><b>raw TCP</b>: the same number of bytes ({@code size * 2(n-1)/n}) sent and received at once over the
 *       plain connection, from the tensor's memory into a second buffer of that size (one writer thread, one
 *       reader thread, blocking sockets): the ceiling of the link, in bytes each way per second.</li>
 * </ul>
 * The ratio busbw / raw is the all-reduce's efficiency (target ≥ 0.8). Rank 0's JVM also reports its CPU time
 * (all threads) per operation: on a machine whose cores are shared with other work, wall-clock bandwidth
 * depends on the CPU share each JVM gets, while CPU time per byte does not; their ratio shows how much extra
 * work the all-reduce does over a plain copy (the reduction itself, framing, thread hand-offs).
 *
 * <p>Run: {@code $BENCH dev.kiln.bench.AllReduceBench [--quick]} (see README's Benchmarks section).
 */
public final class AllReduceBench {
    static final long[] SIZES_MB = {4, 40, 400};

    private AllReduceBench() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = args.length > 0 && args[0].equals("--quick");
        System.out.printf("Kiln AllReduceBench: 2 JVMs on 127.0.0.1, %s %s, %d CPUs, load average %s%n",
                System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), loadAverage());
        List<String> results = runChildren(quick);
        System.out.println();
        System.out.println("| float32 size | all-reduce ms | algbw GB/s | busbw GB/s | raw TCP GB/s each way "
                + "| busbw / raw | CPU ms all-reduce | CPU ms raw | raw CPU / all-reduce CPU |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (String line : results) {
            String[] f = line.split(" ");
            long bytes = Long.parseLong(f[1]);
            double tAllReduce = Double.parseDouble(f[2]);
            double tRaw = Double.parseDouble(f[3]);
            double busBytes = bytes * 2.0 * (2 - 1) / 2; // 2(n-1)/n for n = 2
            double busbw = busBytes / tAllReduce / 1e9;
            double raw = busBytes / tRaw / 1e9;
            double cpuAllReduce = Double.parseDouble(f[4]);
            double cpuRaw = Double.parseDouble(f[5]);
            System.out.printf("| %d MB | %.1f | %.2f | %.2f | %.2f | **%.2f** | %.1f | %.1f | %.2f |%n",
                    bytes / 1_000_000, tAllReduce * 1e3, bytes / tAllReduce / 1e9, busbw, raw, busbw / raw,
                    cpuAllReduce * 1e3, cpuRaw * 1e3, cpuRaw / cpuAllReduce);
        }
        System.out.printf("%nload average after: %s%n", loadAverage());
    }

    /** Starts both children, brokers the rendezvous, and returns rank 0's result lines. */
    private static List<String> runChildren(boolean quick) throws Exception {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        List<Process> children = new ArrayList<>();
        try (ServerSocket control = new ServerSocket(0, 2, InetAddress.getLoopbackAddress())) {
            control.setSoTimeout(120_000);
            for (int rank = 0; rank < 2; rank++) {
                children.add(startChild(rank, control.getLocalPort()));
            }
            Socket[] socks = new Socket[2];
            BufferedReader[] in = new BufferedReader[2];
            String[] hello = new String[2];
            String secretHex = HexFormat.of().formatHex(secret); // over the socket: a command line is public (ps)
            for (int k = 0; k < 2; k++) {
                Socket s = control.accept();
                s.setSoTimeout(600_000);
                new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8).println("secret " + secretHex);
                BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                String[] h = r.readLine().split(" "); // "hello <rank> <pg address> <raw address>"
                int rank = Integer.parseInt(h[1]);
                socks[rank] = s;
                in[rank] = r;
                hello[rank] = h[2] + " " + h[3];
            }
            String go = "go " + hello[0].split(" ")[0] + " " + hello[1].split(" ")[0] + " " + hello[1].split(" ")[1]
                    + " " + (quick ? "quick" : "full");
            for (Socket s : socks) {
                new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8).println(go);
            }
            List<String> results = new ArrayList<>();
            String line;
            while ((line = in[0].readLine()) != null && !line.equals("done")) {
                if (line.startsWith("result ")) {
                    results.add(line);
                } else {
                    System.out.println(line);
                }
            }
            for (Process p : children) {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("a child JVM did not exit");
                }
                if (p.exitValue() != 0) {
                    throw new IllegalStateException("a child JVM failed with exit code " + p.exitValue());
                }
            }
            if (results.size() != SIZES_MB.length) {
                throw new IllegalStateException("rank 0 reported " + results.size() + " results, expected "
                        + SIZES_MB.length);
            }
            return results;
        } finally {
            for (Process p : children) {
                p.destroyForcibly(); // no-op for children that exited
            }
        }
    }

    private static Process startChild(int rank, int controlPort) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments()); // --add-opens and friends
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(AllReduceBenchChild.class.getName());
        cmd.add(Integer.toString(rank));
        cmd.add(Integer.toString(controlPort));
        return new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(new File("/proc/loadavg").toPath()).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
