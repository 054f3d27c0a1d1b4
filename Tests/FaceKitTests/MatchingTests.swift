import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct MatchingTests {
    @Test("cosine and Euclidean distance agree with plain formulas")
    func similarity() throws {
        let a: [Float] = (0..<259).map { Float(sin(Double($0))) }, b: [Float] = (0..<259).map { Float(cos(Double($0) * 0.7)) }
        var ab = 0.0, aa = 0.0, bb = 0.0, d2 = 0.0
        for i in a.indices {
            ab += Double(a[i] * b[i]); aa += Double(a[i] * a[i]); bb += Double(b[i] * b[i])
            d2 += Double((a[i] - b[i]) * (a[i] - b[i]))
        }
        #expect(abs(Double(try cosineSimilarity(a, b)) - ab / (aa.squareRoot() * bb.squareRoot())) < 1e-5)
        #expect(abs(Double(try euclideanDistance(a, b)) - d2.squareRoot()) < 1e-4)
        let ea = FaceEmbedding(raw: a), eb = FaceEmbedding(raw: b)
        let v = try FaceMatcher(threshold: 0.2).verify(ea, eb)
        #expect(abs(v.distance * v.distance - (2 - 2 * v.similarity)) < 1e-4)
        #expect(v.isMatch == (v.similarity >= 0.2))
        #expect(try FaceEmbedding(raw: a).cosineSimilarity(to: FaceEmbedding(raw: a)) > 0.9999)
    }

    @Test("vectors of different lengths are an error, not a trap")
    func differentLengths() throws {
        let short = FaceEmbedding(raw: [Float](repeating: 1, count: 128)), long = FaceEmbedding(raw: [Float](repeating: 1, count: 256))
        #expect(throws: FaceKitError.self) { try short.cosineSimilarity(to: long) }
        #expect(throws: FaceKitError.self) { try short.euclideanDistance(to: long) }
        do {
            _ = try FaceMatcher().verify(short, long)
            Issue.record("compared a 128-d with a 256-d embedding")
        } catch {
            #expect("\(error)".contains("128") && "\(error)".contains("256"), "\(error)")
        }
        #expect(try cosineSimilarity([], []) == 0)
    }

    /// Not a validation of the threshold: 0.37 was chosen as the middle of the gap measured by
    /// this very test, on these 9 same-person and 69 different-person pairs of the sample photos
    /// (README, "Choosing a threshold"). What the test does check is that the default pipeline still
    /// separates the labelled pairs (every same-person pair above every different-person pair),
    /// and that the gap still contains the shipped default, so a change to the pipeline that
    /// moves the scores is noticed. It says nothing about accuracy on other photos.
    @Test("default pipeline: every same-person pair scores above every different-person pair (the photos the threshold was fitted on)")
    func samePersonSeparation() async throws {
        let recognizer = try FaceRecognizer(detector: try await TestModels.shared.detector(.back), embedder: try await TestModels.shared.embedder(),
                                            refiner: try await TestModels.shared.detector(.front))
        // Labelled faces: each single-person photo's main face, and the two-person photo by position
        // (Barack Obama on the image left, Joe Biden on the right).
        var labelled: [(label: String, id: String, embedding: FaceEmbedding)] = []
        let people = ["alexander_gerst", "andrew_morgan", "barack_obama", "eileen_collins", "joe_biden", "nick_hague"]
        for person in people {
            for file in try FileManager.default.contentsOfDirectory(atPath: Shared.images.appendingPathComponent(person).path).sorted() {
                let image = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("\(person)/\(file)").path)
                labelled.append((person, "\(person)/\(file)", try recognizer.embedding(of: image, source: file)))
            }
        }
        let group = try ImageDecoder().decode(contentsOfFile: Shared.images.appendingPathComponent("group/obama_biden_oval_office.jpg").path)
        let faces = try recognizer.faces(in: group).sorted { $0.detection.box.x < $1.detection.box.x }
        #expect(faces.count == 2)
        labelled.append(("barack_obama", "group/obama_biden#left", faces[0].embedding))
        labelled.append(("joe_biden", "group/obama_biden#right", faces[1].embedding))
        var same: [Float] = [], different: [Float] = []
        var lines: [String] = []
        for i in labelled.indices {
            var row = labelled[i].id.padding(toLength: 44, withPad: " ", startingAt: 0)
            for j in labelled.indices {
                let s = try labelled[i].embedding.cosineSimilarity(to: labelled[j].embedding)
                row += String(format: " %5.2f", s)
                if j > i { (labelled[i].label == labelled[j].label ? { same.append(s) } : { different.append(s) })() }
            }
            lines.append(row)
        }
        print("cosine matrix (default pipeline: back detector, template alignment):\n" + lines.joined(separator: "\n"))
        let lowestSame = smallest(same), highestDifferent = largest(different)   // NaN-propagating
        print("same person: \(same.count) pairs, \(lowestSame) … \(largest(same)); different: \(different.count) pairs, \(smallest(different)) … \(highestDifferent)")
        #expect(same.count == 9 && different.count == 69)
        #expect(lowestSame > highestDifferent)
        // Circular by construction (the default was fitted here): a consistency check, not evidence.
        #expect(lowestSame >= FaceMatcher.defaultThreshold && highestDifferent < FaceMatcher.defaultThreshold)
    }
}
