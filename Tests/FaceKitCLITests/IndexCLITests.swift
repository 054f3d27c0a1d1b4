// `--index` on enroll, identify and gallery, `gallery export`/`import` between two gallery
// files, the refusal of another model's export, a postgres:// URL that cannot be reached, and
// `gallery plot`.
import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct IndexCLITests {
    @Test("--index on enroll/identify/gallery; export and import round-trip between gallery files; plot draws the map")
    func indexCommands() throws {
        let dir = try Shared.temporaryDirectory("cli-index")
        let source = dir.appendingPathComponent("a.fkg").path, copy = dir.appendingPathComponent("b.fkg").path
        let obama = try CLI.run(["enroll", "--largest", "--index", source, "obama", CLI.image("barack_obama/official_portrait_2012.jpg"),
                                 CLI.image("barack_obama/oval_office_standing.jpg")])
        #expect(obama.status == 0, "\(obama.stderr)")
        #expect(try CLI.run(["enroll", "--largest", "--index", source, "biden", CLI.image("joe_biden/official_vp_portrait.jpg"),
                             CLI.image("joe_biden/oval_office_standing.jpg")]).status == 0)
        // --gallery stays an alias; giving both is a usage error.
        let both = try CLI.run(["gallery", "list", "--index", source, "--gallery", source])
        #expect(both.status != 0 && both.stderr.contains("--index and --gallery"))
        let id = try CLI.run(["identify", "--json", "--index", source, CLI.image("group/obama_biden_oval_office.jpg")])
        let faces = try #require(try id.json()["faces"] as? [[String: Any]])
        #expect(id.status == 0 && Set(faces.compactMap { $0["identity"] as? String }) == ["obama", "biden"])

        // Export, import into a new file, export again: the same lines.
        let export1 = dir.appendingPathComponent("one.jsonl").path, export2 = dir.appendingPathComponent("two.jsonl").path
        let exported = try CLI.run(["gallery", "export", "--index", source, "-o", export1])
        #expect(exported.status == 0 && exported.stdout.contains("2 people, 4 embeddings"), "\(exported.stdout) \(exported.stderr)")
        let lines = try String(contentsOfFile: export1, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(header["format"] as? String == "facekit-index" && header["model"] as? String == FaceEmbedder.model.rawValue
                && header["dimension"] as? Int == 256 && header["embeddings"] as? Int == 4)
        let imported = try CLI.run(["gallery", "import", "--json", "--index", copy, export1])
        let importedCount = try imported.json()["imported_embeddings"] as? Int
        #expect(imported.status == 0 && importedCount == 4, "\(imported.stderr)")
        #expect(try CLI.run(["gallery", "export", "--gallery", copy, "-o", export2]).status == 0)
        #expect(try String(contentsOfFile: export1, encoding: .utf8) == String(contentsOfFile: export2, encoding: .utf8))
        // The export streams: to standard output it is the file's lines; over an existing file it
        // replaces it and leaves no temporary file; into a missing folder it fails with one line.
        let piped = try CLI.run(["gallery", "export", "--index", source, "-o", "-"])
        let firstExport = try String(contentsOfFile: export1, encoding: .utf8)
        #expect(piped.status == 0 && piped.stdout == firstExport)
        #expect(try CLI.run(["gallery", "export", "--index", source, "-o", export1]).status == 0)
        #expect(try String(contentsOfFile: export1, encoding: .utf8) == String(contentsOfFile: export2, encoding: .utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }.isEmpty)
        let nowhere = try CLI.run(["gallery", "export", "--index", source, "-o", dir.appendingPathComponent("missing/x.jsonl").path])
        #expect(nowhere.status != 0 && nowhere.stderr.split(separator: "\n").count == 1, "\(nowhere.stderr)")

        // annotate takes --index as the other commands do.
        let drawnPath = dir.appendingPathComponent("drawn.png").path
        let drawn = try CLI.run(["annotate", "--json", "--index", source, CLI.image("group/obama_biden_oval_office.jpg"), "-o", drawnPath])
        let labels = (try drawn.json()["faces"] as? [[String: Any]])?.compactMap { $0["label"] as? String } ?? []
        #expect(drawn.status == 0 && Set(labels).isSuperset(of: ["obama", "biden"]), "\(drawn.stderr)")

        // The copy answers as the original does.
        let again = try CLI.run(["identify", "--json", "--index", copy, CLI.image("group/obama_biden_oval_office.jpg")])
        let (facesAgain, facesBefore) = (try again.json()["faces"] as? NSArray, try id.json()["faces"] as? NSArray)
        #expect(facesAgain != nil && facesAgain == facesBefore)

        // Another model's export is refused, with one line on stderr, and nothing is imported.
        let other = dir.appendingPathComponent("other.jsonl").path
        try (lines[0].replacingOccurrences(of: FaceEmbedder.model.rawValue, with: "another-model") + "\n" + lines[1...].joined(separator: "\n") + "\n")
            .write(toFile: other, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["gallery", "import", "--index", copy, other])
        #expect(refused.status != 0 && refused.stderr.contains("another-model") && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
        let listed = try CLI.run(["gallery", "list", "--json", "--index", copy])
        let counts = (try listed.json()["people"] as? [[String: Any]])?.compactMap { $0["embeddings"] as? Int }
        #expect(counts == [2, 2])

        // A PostgreSQL index that cannot be reached: one line, non-zero, password hidden.
        let pg = try CLI.run(["gallery", "list", "--index", "postgres://me:secret@127.0.0.1:1/faces"])
        #expect(pg.status != 0 && pg.stderr.split(separator: "\n").count == 1 && !pg.stderr.contains("secret"), "\(pg.stderr)")

        // The PCA map: a PNG of the asked size with dots of the two people's colours on white.
        let map = dir.appendingPathComponent("map.png").path
        let plot = try CLI.run(["gallery", "plot", "--index", source, "-o", map, "--width", "640", "--height", "480"])
        #expect(plot.status == 0, "\(plot.stderr)")
        let image = try ImageDecoder().decode(contentsOfFile: map)
        #expect(image.width == 640 && image.height == 480)
        var colours: [Int: Int] = [:]
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            colours[Int(image.pixels[i]) << 16 | Int(image.pixels[i + 1]) << 8 | Int(image.pixels[i + 2]), default: 0] += 1
        }
        let white = colours[0xFFFFFF] ?? 0
        #expect(white < 640 * 480 && white > 640 * 480 / 2, "mostly white background with something drawn")
        // Each person's colour covers at least their two dots (radius 5: ~2 × 78 pixels).
        for person in 0..<2 {
            let c = personColourForTest(person)
            #expect((colours[c] ?? 0) > 100, "person \(person)'s colour \(String(c, radix: 16)) has \(colours[c] ?? 0) pixels")
        }
        let empty = try CLI.run(["gallery", "plot", "--index", dir.appendingPathComponent("none.fkg").path, "-o", map])
        #expect(empty.status != 0 && empty.stderr.split(separator: "\n").count == 1)
    }

    /// The CLI's colour of person `i` (hues by the golden angle, as `personColor` in GalleryCommands.swift).
    func personColourForTest(_ i: Int) -> Int {
        let h = (Double(i) * 137.507_764).truncatingRemainder(dividingBy: 360) / 60, s = 0.85, v = 0.8
        let c = v * s, x = c * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1)), m = v - c
        let rgb: (Double, Double, Double)
        switch Int(h) {
        case 0: rgb = (c, x, 0)
        case 1: rgb = (x, c, 0)
        case 2: rgb = (0, c, x)
        case 3: rgb = (0, x, c)
        case 4: rgb = (x, 0, c)
        default: rgb = (c, 0, x)
        }
        return Int(UInt8((rgb.0 + m) * 255)) << 16 | Int(UInt8((rgb.1 + m) * 255)) << 8 | Int(UInt8((rgb.2 + m) * 255))
    }
}
