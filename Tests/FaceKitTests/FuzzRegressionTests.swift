// Inputs the fuzz targets (Fuzz/) found to crash a parser, each kept with the typed error it
// must now give. The files live in Tests/Fixtures/fuzz/TARGET/.
import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct FuzzRegressionTests {
    static func fixture(_ target: String, _ name: String) throws -> Data {
        try Data(contentsOf: Shared.packageRoot.appendingPathComponent("Tests/Fixtures/fuzz/\(target)/\(name)"))
    }

    @Test("pairs: an LFW header whose pairs per fold cannot be doubled is refused, not trapped on")
    func foldSizeOverflow() throws {
        let text = String(decoding: try Self.fixture("pairs", "fold-size-overflows.txt"), as: UTF8.self)
        #expect(throws: FaceKitError.invalidArgument("pairs.txt:1: 4611686018427387904 pairs per fold is more than a file can hold")) {
            _ = try PairsFile.parse(text, root: "/nonexistent", source: "pairs.txt")
        }
    }

    @Test("pairs: LFW image numbers of any size name the right file (no 32-bit truncation)")
    func largeImageNumber() throws {
        let pairs = try PairsFile.parse("A 4294967297 12\n", root: "/r", source: "pairs.txt")
        #expect(pairs.map(\.first) == ["/r/A/A_4294967297.jpg"] && pairs.map(\.second) == ["/r/A/A_0012.jpg"])
    }
}
