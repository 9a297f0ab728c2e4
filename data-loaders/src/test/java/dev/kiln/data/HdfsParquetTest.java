package dev.kiln.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.server.datanode.DataNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ParquetDataset on a real {@code hdfs://} FileSystem: an in-process HDFS (Hadoop's {@link MiniDFSCluster}: one
 * NameNode and one DataNode, RPC and HTTP on 127.0.0.1 with ephemeral ports, storage under a temporary directory),
 * started once for the class. Files are written into HDFS by {@link FeatureLabelWriter} through the same
 * {@code hdfs://} URI and read back with Kiln's default Configuration: nothing HDFS-specific is configured on the
 * reader side, as on a Spark executor that only receives the path.
 */
class HdfsParquetTest extends KilnTest {
    private static final int N = 3;

    @TempDir
    static Path base;
    private static MiniDFSCluster cluster;
    private static String root;

    @BeforeAll
    static void startHdfs() throws IOException {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("hdfs").toString());
        conf.setInt("dfs.replication", 1);
        cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).format(true).build();
        cluster.waitActive();
        root = "hdfs://127.0.0.1:" + cluster.getNameNodePort();
        // Rows 0..9 and 10..19 in two part files of row groups of 4 rows, plus Spark's _SUCCESS marker.
        ParquetTestFiles.features(root + "/table/part-00000.parquet", 0, 10, N, 4);
        ParquetTestFiles.features(root + "/table/part-00001.parquet", 10, 10, N, 4);
        cluster.getFileSystem().create(new org.apache.hadoop.fs.Path("/table/_SUCCESS")).close();
    }

    @AfterAll
    static void stopHdfs() throws IOException {
        if (cluster != null) {
            // The reader's DFS client is cached by FileSystem.get; close it so its threads end with the cluster.
            FileSystem.get(URI.create(root), new Configuration()).close();
            cluster.shutdown(true);
        }
    }

    private static List<Integer> range(int from, int to) {
        return new ArrayList<>(IntStream.range(from, to).boxed().toList());
    }

    private static List<Integer> read(String location) throws IOException {
        try (ParquetDataset ds = ParquetDataset.builder(location).features("features").label("label")
                .batchSize(3).build()) {
            return ParquetDatasetTest.rowsOf(ds, N);
        }
    }

    @Test
    void filesReallyLiveInHdfs() throws IOException {
        FileSystem fs = cluster.getFileSystem();
        assertEquals("hdfs", fs.getScheme());
        assertTrue(fs.getFileStatus(new org.apache.hadoop.fs.Path("/table/part-00000.parquet")).getLen() > 0);
        assertFalse(java.nio.file.Files.exists(Path.of("/table/part-00000.parquet")));
    }

    /** Nothing is reachable from outside the machine: every HDFS socket is on the loopback interface. */
    @Test
    void listensOnLoopbackOnly() {
        assertTrue(cluster.getNameNode().getNameNodeAddress().getAddress().isLoopbackAddress());
        assertTrue(cluster.getNameNode().getHttpAddress().getAddress().isLoopbackAddress());
        DataNode dn = cluster.getDataNodes().get(0);
        assertTrue(dn.getXferAddress().getAddress().isLoopbackAddress());
        assertEquals("127.0.0.1", dn.getDatanodeId().getIpAddr());
    }

    @Test
    void readsOneFile() throws IOException {
        try (ParquetDataset ds = ParquetDataset.builder(root + "/table/part-00000.parquet").features("features")
                .label("label").batchSize(4).build()) {
            assertEquals(3, ds.rowGroups()); // 4 + 4 + 2 rows
            assertEquals(10, ds.rows());
            assertEquals(range(0, 10), ParquetDatasetTest.rowsOf(ds, N));
        }
    }

    @Test
    void readsADirectorySkippingSuccessMarker() throws IOException {
        assertEquals(range(0, 20), read(root + "/table"));
        assertEquals(range(0, 20), read(root + "/table/")); // trailing slash too
    }

    @Test
    void readsAGlob() throws IOException {
        assertEquals(range(0, 20), read(root + "/table/part-*.parquet"));
        assertEquals(range(10, 20), read(root + "/table/part-0000[1].parquet"));
    }

    /** Two decode threads each open the HDFS file (parallel positioned reads); shuffle and shard as on a cluster. */
    @Test
    void shardedShuffledParallelReadsCoverEveryRowOnce() throws IOException {
        List<Integer> all = new ArrayList<>();
        for (int rank = 0; rank < 2; rank++) {
            try (ParquetDataset ds = ParquetDataset.builder(root + "/table").features("features").label("label")
                    .batchSize(5).shuffle(true).seed(7).shard(rank, 2).numThreads(2).build()) {
                all.addAll(ParquetDatasetTest.rowsOf(ds, N));
            }
        }
        all.sort(null);
        assertEquals(range(0, 20), all);
    }

    @Test
    void missingHdfsPathIsNamedInTheError() {
        String missing = root + "/no/such/table";
        IOException e = assertThrows(IOException.class,
                () -> ParquetDataset.builder(missing).features("features").label("label").build());
        assertTrue(e.getMessage().contains(missing), e.getMessage());
        IOException g = assertThrows(IOException.class,
                () -> ParquetDataset.builder(root + "/table/*.csv").features("features").label("label").build());
        assertTrue(g.getMessage().contains(root + "/table/*.csv"), g.getMessage());
    }
}
