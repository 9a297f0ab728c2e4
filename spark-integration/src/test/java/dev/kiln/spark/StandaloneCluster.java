package dev.kiln.spark;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.apache.spark.sql.SparkSession;

/**
 * A real Spark standalone cluster on 127.0.0.1, started from the Maven test classpath: a directory whose
 * {@code jars/} holds every classpath entry (directories jarred) serves as {@code SPARK_HOME}, so the master, the
 * workers and the executor JVMs they launch all see Spark and Kiln. One master, {@code workers} workers of one
 * core each. {@link #close()} stops the application and every process, even after a failure.
 */
public final class StandaloneCluster implements AutoCloseable {
    private static final String OPENS = "--add-opens=java.base/java.nio=ALL-UNNAMED "
            + "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED "
            + "--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED "
            + "-Dio.netty.tryReflectionSetAccessible=true";

    private final Path home;
    private final List<Process> processes = new ArrayList<>();
    private final String masterUrl;
    private SparkSession session;

    public StandaloneCluster(Path dir, int workers) throws IOException, InterruptedException {
        this.home = dir.toAbsolutePath();
        Path jars = Files.createDirectories(home.resolve("jars"));
        String classpath = layOutJars(jars);
        int port = freePort();
        masterUrl = "spark://127.0.0.1:" + port;
        try {
            start(home.resolve("master.log"), classpath, "org.apache.spark.deploy.master.Master", "--host",
                    "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(freePort()));
            for (int w = 0; w < workers; w++) {
                Path work = Files.createDirectories(home.resolve("work-" + w));
                start(home.resolve("worker-" + w + ".log"), classpath, "org.apache.spark.deploy.worker.Worker",
                        masterUrl, "--host", "127.0.0.1", "--cores", "1", "--memory", "2g", "--work-dir",
                        work.toString(), "--webui-port", String.valueOf(freePort()));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    public String masterUrl() {
        return masterUrl;
    }

    /** A SparkSession on this cluster; waits until {@code executors} executors have registered. */
    public SparkSession session(int executors) throws InterruptedException {
        session = SparkSession.builder().master(masterUrl).appName("kiln-cluster-test")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false").config("spark.executor.memory", "1g")
                .config("spark.executor.extraJavaOptions", OPENS)
                .config("spark.executor.heartbeatInterval", "2s")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (session.sparkContext().statusTracker().getExecutorInfos().length < executors + 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + (session.sparkContext().statusTracker()
                        .getExecutorInfos().length - 1) + " of " + executors + " executors registered in 90 s; "
                        + "see the logs in " + home);
            }
            Thread.sleep(200);
        }
        return session;
    }

    private void start(Path log, String classpath, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaBin(), "-Xmx512m", "-cp", classpath));
        cmd.addAll(List.of(OPENS.split(" ")));
        cmd.add(main);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("SPARK_EXECUTOR_OPTS", OPENS);
        processes.add(pb.start());
    }

    /** Every test classpath entry into {@code jars/} (jar files linked, class directories jarred). */
    private static String layOutJars(Path jars) throws IOException {
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                Path jar = jars.resolve("classes-" + (n++) + ".jar");
                jarDirectory(p, jar);
                entries.add(jar.toString());
            } else if (entry.endsWith(".jar") && Files.exists(p)) {
                Path link = jars.resolve((n++) + "-" + p.getFileName());
                Files.createSymbolicLink(link, p.toAbsolutePath());
                entries.add(link.toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void jarDirectory(Path dir, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(new FileOutputStream(jar.toFile()))) {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    out.putNextEntry(new JarEntry(dir.relativize(file).toString().replace(File.separatorChar, '/')));
                    Files.copy(file, out);
                    out.closeEntry();
                    return FileVisitResult.CONTINUE;
                }
            });
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Stops the application, then every process and its children (executor JVMs), forcibly if they linger. */
    @Override
    public void close() {
        if (session != null) {
            session.stop();
        }
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UncheckedIOException(new IOException("interrupted while stopping the cluster", e));
            }
        }
    }
}
