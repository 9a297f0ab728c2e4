package dev.kiln.bench;

import dev.kiln.Kiln;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Kiln's training step of a CnnBench model under alternating settings of Kiln system properties, in one process:
 * each round runs every setting for 1.5 s (after 5 warm-up steps), so load from other processes falls on all
 * settings alike; the first round only warms up. Prints the median ms/step per setting over the other rounds.
 * A setting is {@code name=value[,name=value...]}, e.g. {@code kiln.ompSpinAware=false} or
 * {@code kiln.dnnl.conv=nhwc/any/nhwc}.
 *
 * <pre>
 * java ... dev.kiln.bench.TrainStepAB lenet5|mnist-cnn [--rounds 6] SETTING SETTING...
 * </pre>
 */
public final class TrainStepAB {
    private TrainStepAB() {
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: TrainStepAB lenet5|mnist-cnn [--rounds N] SETTING SETTING...");
        }
        Sequential model = switch (args[0]) {
            case "lenet5" -> KilnTrainer.leNet5();
            case "mnist-cnn" -> KilnTrainer.mnistCnn();
            default -> throw new IllegalArgumentException("unknown model " + args[0] + "; expected lenet5 or mnist-cnn");
        };
        int rounds = 6;
        List<String> settings = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--rounds")) {
                rounds = Integer.parseInt(args[++i]);
            } else {
                settings.add(args[i]);
            }
        }
        Kiln.manualSeed(0);
        Map<String, List<Double>> msPerStep = new LinkedHashMap<>();
        try (Tensor x = Tensor.randn(128, 1, 28, 28); Tensor y = Tensor.randint(0, 10, 128);
             Adam optimizer = new Adam(model.parameters(), 1e-3); CrossEntropyLoss loss = new CrossEntropyLoss()) {
            Runnable step = () -> {
                try (TensorScope s = TensorScope.open()) {
                    optimizer.zeroGrad();
                    loss.forward(model.forward(x), y).backward();
                    optimizer.step();
                }
            };
            for (int round = 0; round < rounds; round++) {
                for (String setting : settings) {
                    apply(setting);
                    double ms = time(step);
                    if (round > 0) {
                        msPerStep.computeIfAbsent(setting, k -> new ArrayList<>()).add(ms);
                    }
                }
            }
        } finally {
            model.close();
        }
        System.out.printf(Locale.ROOT, "TrainStepAB %s, %d threads, batch 128; ms/step, median of %d rounds%n", args[0],
                Kiln.numThreads(), rounds - 1);
        msPerStep.forEach((s, l) -> {
            Collections.sort(l);
            System.out.printf(Locale.ROOT, "| %s | %.2f | (min %.2f, max %.2f) |%n", s, l.get(l.size() / 2), l.get(0),
                    l.get(l.size() - 1));
        });
    }

    private static void apply(String setting) {
        for (String kv : setting.split(",")) {
            String[] nameValue = kv.split("=", 2);
            if (nameValue.length != 2) {
                throw new IllegalArgumentException("setting '" + kv + "' is not name=value");
            }
            System.setProperty(nameValue[0], nameValue[1]);
        }
    }

    private static double time(Runnable step) {
        for (int w = 0; w < 5; w++) {
            step.run();
        }
        long t0 = System.nanoTime();
        int n = 0;
        while (System.nanoTime() - t0 < 1_500_000_000L) {
            step.run();
            n++;
        }
        return (System.nanoTime() - t0) / 1e6 / n;
    }
}
