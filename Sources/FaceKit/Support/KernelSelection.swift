// Which micro-kernels FaceKit runs on this CPU (from the tensor layer).
import FaceKitTensor

/// The set of micro-kernels for one instruction set: ``KernelConfiguration/current`` is chosen
/// once per process from the CPU's features, or forced with `FACEKIT_KERNELS`.
public typealias KernelConfiguration = FaceKitTensor.KernelConfiguration
