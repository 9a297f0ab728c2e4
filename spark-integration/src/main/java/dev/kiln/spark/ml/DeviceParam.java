package dev.kiln.spark.ml;

import dev.kiln.spark.train.Devices;
import java.io.Serializable;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import scala.runtime.AbstractFunction1;

/**
 * The {@code device} param that {@link KilnEstimator} and {@link KilnModel} share: {@code cpu | cuda | auto}, resolved
 * per task by {@link Devices} (the GPU Spark assigned to the task). A bad value is refused wherever it comes from
 * ({@code setDevice}, a {@code ParamMap}, a saved model's metadata) with a message naming the param and the allowed
 * values; Spark's own validator message names neither the values nor what to do.
 */
final class DeviceParam {
    private DeviceParam() {
    }

    static Param<String> of(Params parent, String doc) {
        return new Param<>(parent, "device", doc, new Check(parent.uid()));
    }

    /** Trims and lower-cases what a user typed ("CUDA" means cuda); validation happens when the param is set. */
    static String normalize(String value) {
        return value == null ? null : value.trim().toLowerCase(java.util.Locale.ROOT);
    }

    /** Throws instead of returning false, so the message can say what is allowed. */
    private static final class Check extends AbstractFunction1<String, Object> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String owner;

        Check(String owner) {
            this.owner = owner;
        }

        @Override
        public Object apply(String value) {
            if (!Devices.MODES.contains(value)) {
                throw new IllegalArgumentException(owner + " param 'device' must be one of cpu, cuda, auto "
                        + "(cuda: the GPU Spark assigned to the task; auto: that GPU when there is one, else the CPU); "
                        + "got " + (value == null ? "null" : "'" + value + "'"));
            }
            return Boolean.TRUE;
        }
    }
}
