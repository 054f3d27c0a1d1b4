import FaceKit
import Foundation
import Testing

/// The kernel variant the golden tests ran with: `.ci/run` runs them again with
/// `FACEKIT_KERNELS` set to every other variant the CPU supports, and this checks that the
/// setting was honoured (an unusable value falls back to the best variant).
@Suite struct KernelSelectionTests {
    @Test("FACEKIT_KERNELS, when set to a variant this CPU runs, is the variant in use")
    func forcedVariant() {
        let wanted = ProcessInfo.processInfo.environment["FACEKIT_KERNELS"] ?? ""
        print("kernels in use: \(KernelConfiguration.current.name) (FACEKIT_KERNELS=\(wanted.isEmpty ? "unset" : wanted); CPU: \(KernelConfiguration.cpuFeatures))")
        if wanted.isEmpty || wanted == "auto" {
            #expect(KernelConfiguration.current == KernelConfiguration.best)
        } else if let forced = KernelConfiguration.named(wanted) {
            #expect(KernelConfiguration.current == forced)
        } else {
            #expect(KernelConfiguration.current == KernelConfiguration.best)
        }
        #expect(KernelConfiguration.available.contains(KernelConfiguration.current) || KernelConfiguration.testVariants.contains(KernelConfiguration.current))
    }
}
