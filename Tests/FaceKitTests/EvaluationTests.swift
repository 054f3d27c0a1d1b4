import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct EvaluationTests {
    @Test("metrics on a hand-computed example")
    func metrics() throws {
        // same: 0.9, 0.8, 0.4; different: 0.5, 0.3, 0.1.
        let scores: [(score: Float, same: Bool)] = [(0.9, true), (0.5, false), (0.8, true), (0.3, false), (0.4, true), (0.1, false)]
        let r = try VerificationMetrics.evaluate(scores, k: 3, targets: [0.34, 0.01])
        #expect(abs(r.auc - 8.0 / 9.0) < 1e-12)          // 0.9 and 0.8 beat all 3, 0.4 beats 2
        #expect(abs(r.bestAccuracy - 5.0 / 6.0) < 1e-12)  // no threshold separates 0.4 from 0.5
        let far = r.operatingPoints[0]                    // FAR ≤ 0.34 of 3 → one false accept allowed
        #expect(far.threshold > 0.3 && far.threshold <= 0.4 && far.trueAcceptRate == 1 && abs(far.falseAcceptRate - 1.0 / 3.0) < 1e-12)
        #expect(far.isResolvable && !r.operatingPoints[1].isResolvable)
        #expect(r.operatingPoints[1].falseAcceptRate == 0 && abs(r.operatingPoints[1].trueAcceptRate - 2.0 / 3.0) < 1e-12)
        #expect(r.roc.count == 6 && r.roc.first!.threshold == 0.9)
        #expect(throws: FaceKitError.self) { try VerificationMetrics.evaluate([(0.5, true)]) }
    }

    @Test("LFW pairs with folds and CSV pairs parse")
    func parsing() throws {
        let root = try Shared.temporaryDirectory("lfw")
        for (name, n) in [("Ann_A", 2), ("Bob_B", 2)] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(name), withIntermediateDirectories: true)
            for i in 1...n { _ = FileManager.default.createFile(atPath: root.appendingPathComponent("\(name)/\(name)_\(String(format: "%04d", i)).png").path, contents: Data()) }
        }
        let lfw = try PairsFile.parse("2\t1\nAnn_A\t1\t2\nAnn_A\t1\tBob_B\t1\nBob_B 1 2\nAnn_A 2 Bob_B 2\n", root: root.path)
        #expect(lfw.map(\.isSamePerson) == [true, false, true, false])
        #expect(lfw.map(\.fold) == [0, 0, 1, 1])
        #expect(lfw[1].second == root.appendingPathComponent("Bob_B/Bob_B_0001.png").path)
        let csv = try PairsFile.parse("path_a,path_b,same\na.jpg, /x/b.jpg ,1\nc.jpg,d.jpg,false\n", root: "/r")
        #expect(csv == [LabeledPair(first: "/r/a.jpg", second: "/x/b.jpg", isSamePerson: true), LabeledPair(first: "/r/c.jpg", second: "/r/d.jpg", isSamePerson: false)])
        #expect(throws: FaceKitError.self) { try PairsFile.parse("a b\n", root: "/") }
        #expect(throws: FaceKitError.self) { try PairsFile.parse("x,y,1\na,b,maybe\n", root: "/") }
    }
}
