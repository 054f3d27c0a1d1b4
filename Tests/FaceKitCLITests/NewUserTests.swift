import FaceKitTestSupport
import Foundation
import Testing

/// Issue 17: what a new user trips over in the command line. Each test runs the built
/// `facekit` and checks the message on stderr and the exit status.
@Suite(.serialized) struct NewUserTests {
    static let group = CLI.image("group/obama_biden_oval_office.jpg")

    /// The lines of stderr.
    static func lines(_ r: CLI.Result) -> [String] { r.stderr.split(separator: "\n").map(String.init) }

    @Test("enroll refuses a photo with several faces in one stderr line listing them; --face and --largest choose")
    func enrollGroupPhoto() throws {
        let g = try Shared.temporaryDirectory("cli-newuser").appendingPathComponent("people.fkg").path
        let refused = try CLI.run(["enroll", "--gallery", g, "Someone", Self.group])
        #expect(refused.status == 1)
        let line = try #require(Self.lines(refused).first)
        #expect(Self.lines(refused).count == 1, "\(refused.stderr)")
        #expect(line.contains(Self.group) && line.contains("2 faces") && line.contains("--face INDEX") && line.contains("--largest"), "\(line)")
        #expect(line.contains("face 0 x=") && line.contains("face 1 x=") && line.contains(" w=") && line.contains(" h=") && line.contains("score 0."), "\(line)")
        #expect(line.contains("Someone was not enrolled"), "\(line)")
        #expect(refused.stdout.isEmpty)
        let list = try CLI.run(["gallery", "list", "--gallery", g])
        #expect(!list.stdout.contains("Someone"), "nobody was enrolled: \(list.stdout)")

        // Among several photos the group photo is skipped (one line), the others are enrolled, exit 1.
        let mixed = try CLI.run(["enroll", "--json", "--gallery", g, "obama", CLI.image("barack_obama/official_portrait_2012.jpg"), Self.group])
        #expect(mixed.status == 1 && Self.lines(mixed).count == 1 && mixed.stderr.contains("--face INDEX"), "\(mixed.stderr)")
        #expect(try mixed.json()["added"] as? Int == 1 && (try mixed.json()["failed"] as? [String]) == [Self.group])

        // --face 1 enrols the face listed as 1 (Joe Biden): his portrait is then identified as him.
        let chosen = try CLI.run(["enroll", "--json", "--gallery", g, "--face", "1", "biden", Self.group])
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect(try chosen.json()["added"] as? Int == 1)
        let id = try CLI.run(["identify", "--json", "--gallery", g, CLI.image("joe_biden/official_vp_portrait.jpg")])
        #expect(id.status == 0)
        #expect((try id.json()["faces"] as? [[String: Any]])?.first?["identity"] as? String == "biden")

        let largest = try CLI.run(["enroll", "--gallery", g, "--largest", "largest", Self.group])
        #expect(largest.status == 0 && largest.stdout.hasPrefix("enrolled largest: 1 new embedding"), "\(largest.stderr)")

        let outOfRange = try CLI.run(["enroll", "--gallery", g, "--face", "5", "nobody", Self.group])
        #expect(outOfRange.status == 1 && Self.lines(outOfRange).count == 1, "\(outOfRange.stderr)")
        #expect(outOfRange.stderr.contains("no face 5") && outOfRange.stderr.contains("2 faces"), "\(outOfRange.stderr)")

        let both = try CLI.run(["enroll", "--gallery", g, "--face", "0", "--largest", "x", Self.group])
        #expect(both.status != 0 && both.stderr.contains("--face and --largest"), "\(both.stderr)")
        let twoPhotos = try CLI.run(["enroll", "--gallery", g, "--face", "0", "x", Self.group, CLI.image("joe_biden/official_vp_portrait.jpg")])
        #expect(twoPhotos.status != 0 && twoPhotos.stderr.contains("--face takes exactly one photo"), "\(twoPhotos.stderr)")
    }

    @Test("evaluate says how many pairs were skipped, why and an example, before the two-classes error")
    func evaluateWrongRoot() throws {
        // An LFW-style root holding only two images of one person; the pairs name many more.
        let root = try Shared.temporaryDirectory("lfw-root")
        let person = root.appendingPathComponent("Joe_Biden")
        try FileManager.default.createDirectory(at: person, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.image("joe_biden/official_vp_portrait.jpg"), toPath: person.appendingPathComponent("Joe_Biden_0001.jpg").path)
        try FileManager.default.copyItem(atPath: CLI.image("joe_biden/oval_office_standing.jpg"), toPath: person.appendingPathComponent("Joe_Biden_0002.jpg").path)
        let pairs = root.appendingPathComponent("pairs.txt")
        try """
        2\t3
        Abel_Pacheco\t1\t4
        Joe_Biden\t1\t2
        Akhmed_Zakayev\t1\t3
        Abdel_Madi_Shabneh\t1\tDean_Barker\t1
        Abdel_Madi_Shabneh\t1\tGiancarlo_Fisichella\t1
        Abdel_Madi_Shabneh\t1\tMikhail_Gorbachev\t1

        """.write(to: pairs, atomically: true, encoding: .utf8)
        let r = try CLI.run(["evaluate", "--pairs", pairs.path, "--root", root.path])
        #expect(r.status != 0)
        let lines = Self.lines(r)
        #expect(lines.count == 2, "\(r.stderr)")
        let example = root.appendingPathComponent("Abel_Pacheco/Abel_Pacheco_0001.jpg").path
        #expect(lines.first?.hasSuffix("5 of 6 pairs skipped: image not found (e.g. \(example))") == true, "\(r.stderr)")
        #expect(lines.last?.contains("needs both same-person and different-person pairs (got 1 and 0)") == true, "\(r.stderr)")
    }

    @Test("an empty pairs file says it holds no pairs and which formats are expected", arguments: ["/dev/null", "empty", "header"])
    func evaluateEmptyPairs(kind: String) throws {
        var path = kind
        if kind != "/dev/null" {
            let file = try Shared.temporaryDirectory("pairs-empty").appendingPathComponent("pairs.csv")
            try (kind == "header" ? "path_a,path_b,same\n" : "").write(to: file, atomically: true, encoding: .utf8)
            path = file.path
        }
        let r = try CLI.run(["evaluate", "--pairs", path, "--root", "."])
        #expect(r.status != 0)
        #expect(Self.lines(r).count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("\(path) holds no pairs") && r.stderr.contains("path_a,path_b,same") && r.stderr.contains("name i j"), "\(r.stderr)")
        #expect(!r.stderr.contains("permission"), "\(r.stderr)")
    }

    @Test("--weights DIR: a missing directory fails naming it, a model it lacks warns, a wrong checksum fails")
    func weightsDirectory() throws {
        let photo = CLI.image("eileen_collins/skimage_astronaut.png")
        let nowhere = "/nonexistent-weights-\(UUID().uuidString)"
        for command in [["detect", photo], ["compare", photo, photo], ["weights", "verify"], ["weights", "list"], ["weights", "convert"]] {
            let r = try CLI.run(command + ["--weights", nowhere])
            #expect(r.status != 0, "\(command)")
            #expect(Self.lines(r).count == 1 && r.stderr.contains("weights directory \(nowhere) does not exist"), "\(command): \(r.stderr)")
        }

        // An existing directory without the model: the model comes from $FACEKIT_WEIGHTS, with a warning.
        let empty = try Shared.temporaryDirectory("weights-empty")
        let fallback = try CLI.run(["detect", "--weights", empty.path, photo])
        #expect(fallback.status == 0, "\(fallback.stderr)")
        #expect(Self.lines(fallback).count == 1, "\(fallback.stderr)")
        #expect(fallback.stderr.contains("warning: weights directory \(empty.path) holds no blazeface-back/model.json")
                && fallback.stderr.contains("$FACEKIT_WEIGHTS"), "\(fallback.stderr)")
        #expect(fallback.stdout.contains("1 face"))

        // A model in the directory whose shard does not match the pinned SHA-256.
        let tampered = try Shared.temporaryDirectory("weights-tampered")
        let model = tampered.appendingPathComponent("blazeface-back")
        try FileManager.default.copyItem(at: Shared.weights.appendingPathComponent("blazeface-back"), to: model)
        let shard = try #require(try FileManager.default.contentsOfDirectory(atPath: model.path).first { $0.hasSuffix(".bin") })
        let shardURL = model.appendingPathComponent(shard)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: shardURL.path)
        var bytes = try Data(contentsOf: shardURL)
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: shardURL)
        let bad = try CLI.run(["detect", "--weights", tampered.path, photo])
        #expect(bad.status != 0)
        #expect(Self.lines(bad).count == 1 && bad.stderr.contains(shardURL.path) && bad.stderr.contains("SHA-256 mismatch"), "\(bad.stderr)")
    }
}
