package dev.kiln.spark.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Save and load on a real {@code hdfs://} FileSystem (an in-process MiniDFSCluster): the temp-then-rename write,
 * overwrite, and the Spark session's Hadoop configuration reaching it with nothing HDFS-specific configured.
 */
class HdfsPersistenceTest extends ScoringTestBase {
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
    }

    @AfterAll
    static void stopHdfs() {
        if (cluster != null) {
            cluster.shutdown(true);
        }
    }

    @Test
    void saveOverwriteAndLoadOnHdfs() throws IOException {
        ModelSpec spec = ModelSpec.mlp(4, 8, 3);
        KilnModel model = modelOf(spec, 51).setBatchSize(3);
        String path = root + "/models/blobs";
        model.write().save(path);
        KilnModel other = modelOf(spec, 52);
        other.write().overwrite().save(path);
        KilnModel loaded = KilnModel.load(path);
        assertArrayEquals(other.stateDictBytes(), loaded.stateDictBytes());
        FileSystem fs = cluster.getFileSystem();
        FileStatus[] siblings = fs.listStatus(new org.apache.hadoop.fs.Path("/models"));
        assertEquals(1, siblings.length, "no temporary directory left: " + Arrays.toString(siblings));
        assertTrue(fs.exists(new org.apache.hadoop.fs.Path("/models/blobs/data/weights.safetensors")));
        String m = message(() -> KilnModel.load(root + "/models/missing"));
        assertTrue(m.contains("models/missing': the path does not exist"), m);
    }
}
