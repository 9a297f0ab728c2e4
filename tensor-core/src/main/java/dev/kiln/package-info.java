/** Kiln: PyTorch-style tensors, autograd and neural networks over Apache Arrow memory. */
package dev.kiln;
