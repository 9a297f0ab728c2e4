/**
 * The CUDA backend: JCuda's driver API over PTX kernels shipped in this jar (compiled from {@code src/main/cuda}),
 * cuBLAS for matrix products where it loads. Registered through {@code ServiceLoader}; the only package in Kiln that
 * imports {@code jcuda.*}.
 */
package dev.kiln.backend.cuda;
