// `facekit cpu`: what the CPU offers and which micro-kernels FaceKit chose for it.
import ArgumentParser
import FaceKit
import FaceKitSupport

struct CPUCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cpu",
        abstract: "Show the CPU features FaceKit sees and the kernel variant it runs.",
        discussion: "The variant is chosen once per process from the CPU's features; FACEKIT_KERNELS=baseline|avx2|avx512 forces one the CPU can execute.")

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() {
        let current = KernelConfiguration.current.name
        let available = KernelConfiguration.available.map(\.name)
        if json {
            print(jsonLine(["cpu": KernelConfiguration.cpuFeatures, "kernels": current, "available": available]))
        } else {
            print("cpu:       \(KernelConfiguration.cpuFeatures)")
            print("kernels:   \(current)")
            print("available: \(available.joined(separator: ", "))")
        }
    }
}
