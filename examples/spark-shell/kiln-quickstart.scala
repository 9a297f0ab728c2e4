// Kiln in spark-shell: train a classifier with KilnEstimator inside an MLlib Pipeline, score a DataFrame, save and
// reload the fitted pipeline, and call the model from SQL.
//
//   ./mvnw -B -q package -pl spark-integration -am -DskipTests
//   spark-shell --master 'local[2]' --jars spark-integration/target/kiln-spark-0.1.0-SNAPSHOT-all.jar \
//     --driver-java-options '--add-opens=java.base/java.nio=ALL-UNNAMED' -i examples/spark-shell/kiln-quickstart.scala
//
// (Spark 4.1, Scala 2.13, Java 17; Arrow needs java.nio opened, see the README.) SparkShellIT runs this file in a
// Scala REPL and checks the lines that start with "KILN". The REPL reads a statement line by line, so a statement
// that continues on the next line is wrapped in parentheses.

import org.apache.spark.sql.SparkSession
import org.apache.spark.ml.{Pipeline, PipelineModel, PipelineStage}
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator
import org.apache.spark.ml.feature.{StandardScaler, VectorAssembler}
import dev.kiln.spark.ml.{KilnEstimator, KilnModel, ModelSpec}
import dev.kiln.spark.sql.KilnUdfs

// In spark-shell `spark` exists already and getOrCreate() returns it.
val spark = (SparkSession.builder().appName("kiln-quickstart")
  .master(sys.props.getOrElse("spark.master", "local[2]")).getOrCreate())
import spark.implicits._

// Three Gaussian blobs in four dimensions, as columns a, b, c, d.
val rng = new scala.util.Random(7)
val centers = Array.fill(3, 4)(rng.nextGaussian() * 3)
val rows = (0 until 1500).map { i =>
  val c = i % 3
  (c.toDouble, centers(c)(0) + rng.nextGaussian(), centers(c)(1) + rng.nextGaussian(),
    centers(c)(2) + rng.nextGaussian(), centers(c)(3) + rng.nextGaussian())
}
val Array(train, test) = rows.toDF("label", "a", "b", "c", "d").randomSplit(Array(0.8, 0.2), seed = 1)

// The architecture as data (a ModelSpec), so the fitted pipeline can be saved: Linear(4, 32) -> ReLU -> Linear(32, 3).
val kiln = (new KilnEstimator().setModelFactory(ModelSpec.mlp(4, 32, 3))
  .setFeaturesCol("scaled").setLabelCol("label")
  .setNumWorkers(1).setEpochs(5).setBatchSize(32).setLearningRate(0.01).setSeed(42))
val pipeline = new Pipeline().setStages(Array[PipelineStage](
  new VectorAssembler().setInputCols(Array("a", "b", "c", "d")).setOutputCol("features"),
  new StandardScaler().setInputCol("features").setOutputCol("scaled"),
  kiln))
val model = pipeline.fit(train)

// transform() scores in batches and adds rawPrediction, probability and prediction, as MLlib classifiers do.
val scored = model.transform(test).cache()
val accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(scored)
println(f"KILN accuracy=$accuracy%.3f")
scored.select("label", "probability", "prediction").show(3, truncate = false)

// Save and load the whole pipeline (VectorAssembler, StandardScaler, KilnModel) on any Hadoop FileSystem path.
val dir = java.nio.file.Files.createTempDirectory("kiln-quickstart").resolve("pipeline").toString
model.write.overwrite().save(dir)
val reloaded = PipelineModel.load(dir)
val same = reloaded.transform(test).select("prediction").collect().toSeq == scored.select("prediction").collect().toSeq
println(s"KILN reloaded-identical=$same")

// The same model as a SQL function (one row per call; transform() is the fast path).
val kilnModel = model.stages.last.asInstanceOf[KilnModel]
KilnUdfs.register(spark, "classify", kilnModel)
scored.createOrReplaceTempView("scored")
val agree = (spark.sql("SELECT avg(CASE WHEN classify(scaled) = prediction THEN 1.0D ELSE 0.0D END) FROM scored")
  .first().getDouble(0))
println(f"KILN sql-agreement=$agree%.3f")
println(s"KILN model=$kilnModel")
