import ArgumentParser
import FaceKit
import FaceKitSupport
import Foundation

struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Enrol a person in a gallery from one or more photos (one face of each).",
        discussion: """
        A photo with several faces is refused, listing each face's index, box and score: enrol \
        one with --face INDEX (one photo) or --largest. The index is a gallery file (created if \
        missing) or a postgres:// URL (--index); --gallery FILE is the same as --index FILE. \
        Unreadable photos, photos without a face and photos with several are reported and \
        skipped; the exit status is then non-zero.
        """)

    @OptionGroup var store: IndexOptions
    @Argument(help: "The person's name or identifier.") var name: String
    @Argument(help: "Photos of the person (files or directories).") var images: [String]
    @Option(name: .customLong("face"), help: ArgumentHelp(
        "Enrol the face with this index (0 is the best detection score; the refusal of a photo with several faces lists them). One photo only.",
        valueName: "index"))
    var faceIndex: Int?
    @Flag(help: "Enrol the largest face of each photo.") var largest = false
    @OptionGroup var pipeline: PipelineOptions
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if faceIndex != nil && largest { throw ValidationError("--face and --largest exclude each other") }
        if let faceIndex, faceIndex < 0 { throw ValidationError("--face must be 0 or more") }
    }

    /// Which face of each photo to enrol.
    var choice: FaceChoice { faceIndex.map(FaceChoice.index) ?? (largest ? .largest : .only) }

    func run() async throws {
        let paths = expandImagePaths(images)
        if faceIndex != nil && paths.count != 1 {
            throw ValidationError("--face takes exactly one photo (faces are numbered per photo); \(paths.count) given")
        }
        let recognizer = try await pipeline.recognizer()
        let index = try await store.open(writable: true)
        var embeddings: [FaceEmbedding] = [], metadata: [[String: String]] = []
        var failures = Failures()
        let choice = choice
        await forEachPhoto(paths, recognizer: recognizer, label: "embedding", failures: &failures) { path, photo in
            do {
                embeddings.append(try recognizer.face(in: photo, choosing: choice).embedding)
            } catch let FaceKitError.multipleFaces(source, faces) {
                throw CLIError("\(source): \(faces.count) faces, so which to enrol is unclear; choose one with --face INDEX or --largest: "
                               + faces.enumerated().map { "face \($0) \(boxSummary($1))" }.joined(separator: "; "))
            } catch let FaceKitError.noSuchFace(source, index, faces) {
                throw CLIError("\(source): no face \(index) (--face); it has \(faces.count) face\(faces.count == 1 ? "" : "s"): "
                               + faces.enumerated().map { "face \($0) \(boxSummary($1))" }.joined(separator: "; "))
            }
            metadata.append(["source": path])
        }
        guard !embeddings.isEmpty else {
            // One photo: its error, in one line. Several: one line each, then the verdict.
            if paths.count == 1, let only = failures.items.first { throw CLIError("\(only.message); \(name) was not enrolled") }
            failures.printAll()
            throw CLIError("no usable face in \(paths.count) photo(s); \(name) was not enrolled")
        }
        try await index.enroll(name, embeddings: embeddings, metadata: metadata, personMetadata: [:])
        let stored = name.trimmingCharacters(in: .whitespacesAndNewlines)
        let total = try await index.enrolledPeople().first { $0.identifier == stored }?.embeddingCount ?? 0
        try await index.close()
        if json {
            print(jsonLine(["gallery": store.displayName, "person": name, "added": embeddings.count, "embeddings": total, "failed": failures.subjects]))
        } else {
            print("enrolled \(name): \(embeddings.count) new embedding\(embeddings.count == 1 ? "" : "s"), \(total) in all (\(store.displayName))")
        }
        try failures.finish()
    }
}

struct IdentifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Find every face in each image and its best matches in a gallery.",
        discussion: "A face is identified as the best match when that match's similarity clears the threshold; otherwise it is unknown.")

    @OptionGroup var store: IndexOptions
    @Argument(help: "Images (files or directories).") var images: [String]
    @Option(help: "How many matches to show per face.") var top = 3
    @OptionGroup var pipeline: PipelineOptions
    @Flag(help: "One JSON object per image.") var json = false

    func run() async throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        let recognizer = try await pipeline.recognizer()
        let index = try await store.open(writable: false, mustExist: true)
        guard try await !index.enrolledPeople().isEmpty else { throw CLIError("\(store.displayName) is empty; enrol people first (facekit enroll)") }
        var failures = Failures()
        await forEachPhoto(expandImagePaths(images), recognizer: recognizer, label: "identifying", failures: &failures) { path, photo in
            let faces = try recognizer.faces(in: photo)
            var list: [FaceReport] = []
            if !json { print("\(path): \(faces.count) face\(faces.count == 1 ? "" : "s")") }
            for (k, face) in faces.enumerated() {
                let result = try await index.identify(face.embedding, threshold: recognizer.configuration.threshold, top: top)
                let (identity, matches) = (result.identity, result.matches)
                if json {
                    list.append(FaceReport(face, identification: result))
                } else {
                    let b = face.detection.box
                    print("  face \(k) at x=\(Int(b.x)) y=\(Int(b.y)) w=\(Int(b.width)): \(identity ?? "unknown")"
                          + "   (" + matches.map { "\($0.identifier) \(String(format: "%.3f", $0.similarity))" }.joined(separator: ", ") + ")")
                }
            }
            if json { print(try jsonLine(encoding: ImageReport(image: path, threshold: recognizer.configuration.threshold, faces: list))) }
        }
        try await index.close()
        try failures.finish()
    }
}

struct GalleryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery", abstract: "List, remove, rename, export, import and plot the people of a face index.",
        discussion: "Each subcommand takes --index PATH-OR-URL: a gallery file or a postgres:// URL (--gallery FILE is the same).",
        subcommands: [List.self, Remove.self, Rename.self, Export.self, Import.self, Plot.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the enrolled people.")
        @OptionGroup var store: IndexOptions
        @Flag(help: "Print one JSON object.") var json = false
        func run() async throws {
            let index = try await store.open(writable: false, mustExist: true)
            let people = try await index.enrolledPeople()
            if json {
                var list: [JSONObject] = []
                for p in people {
                    let sources = try await index.embeddings(of: p.identifier).compactMap { $0.metadata["source"] }
                    list.append(["identifier": p.identifier, "embeddings": p.embeddingCount, "sources": sources])
                }
                print(jsonLine(["gallery": store.displayName, "people": list]))
            } else {
                print("\(store.displayName): \(people.count) people, \(people.reduce(0) { $0 + $1.embeddingCount }) embeddings")
                for p in people { print("  \(p.identifier)  (\(p.embeddingCount) embedding\(p.embeddingCount == 1 ? "" : "s"))") }
            }
            try await index.close()
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a person and their embeddings.")
        @OptionGroup var store: IndexOptions
        @Argument(help: "The person to remove.") var name: String
        @Flag(help: "Print one JSON object.") var json = false
        func run() async throws {
            let index = try await store.open(writable: true, mustExist: true)
            try await index.remove(name)
            let count = try await index.enrolledPeople().count
            try await index.close()
            print(json ? jsonLine(["gallery": store.displayName, "removed": name, "people": count]) : "removed \(name)")
        }
    }

    struct Rename: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename a person.")
        @OptionGroup var store: IndexOptions
        @Argument(help: "The current name.") var name: String
        @Argument(help: "The new name.") var newName: String
        @Flag(help: "Print one JSON object.") var json = false
        func run() async throws {
            let index = try await store.open(writable: true, mustExist: true)
            try await index.rename(name, to: newName)
            try await index.close()
            print(json ? jsonLine(["gallery": store.displayName, "renamed": name, "to": newName]) : "renamed \(name) to \(newName)")
        }
    }
}

// MARK: Export, import, plot

/// The JSON-lines interchange format of `facekit gallery export` and `import`.
///
/// The first line is the header; then one line per person, in enrolment order:
///
///     {"dimension":256,"embeddings":2,"format":"facekit-index","model":"se-mobilefacenet-arcface","people":1,"version":1}
///     {"embeddings":[{"metadata":{"source":"a.jpg"},"norm":21.5,"vector":[0.01,…]},…],"identifier":"Barack Obama","metadata":{}}
///
/// `vector` is the L2-normalised embedding (`dimension` numbers), `norm` the network output's
/// length; `metadata` objects map strings to strings.
enum IndexTransfer {
    static let format = "facekit-index"
    static let version = 1

    struct Header: Codable {
        var format: String
        var version: Int
        var model: String
        var dimension: Int
        var people: Int
        var embeddings: Int
    }

    struct Item: Codable {
        var vector: [Float]
        var norm: Float
        var metadata: [String: String]
    }

    struct Person: Codable {
        var identifier: String
        var metadata: [String: String]
        var embeddings: [Item]
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

/// Reads a file line by line (without loading it whole).
struct LineReader {
    private let handle: FileHandle
    private var buffer = Data()
    private var atEnd = false

    init(path: String) throws {
        guard let h = FileHandle(forReadingAtPath: path) else { throw CLIError("\(path): cannot open the file") }
        handle = h
    }

    /// The next line without its newline, or nil at the end.
    mutating func next() throws -> Data? {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<nl]
                buffer = Data(buffer[(nl + 1)...])
                return Data(line)
            }
            if atEnd {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = Data() }
                return buffer
            }
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { atEnd = true } else { buffer.append(chunk) }
        }
    }
}

extension GalleryCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write every person and embedding of an index to a JSON-lines file.",
            discussion: """
            The first line is a header with the model and dimension; then one line per person: \
            {"identifier", "metadata", "embeddings": [{"vector", "norm", "metadata"}]}. \
            `facekit gallery import` reads it into another index (a gallery file or PostgreSQL).
            """)
        @OptionGroup var store: IndexOptions
        @Option(name: .shortAndLong, help: ArgumentHelp("The JSON-lines file to write ('-' for standard output).", valueName: "file"))
        var output: String
        func run() async throws {
            let index = try await store.open(writable: false, mustExist: true)
            do {
                let header = try await export(index)
                try await index.close()
                if output != "-" {
                    print("exported \(header.people) people, \(header.embeddings) embeddings from \(store.displayName) to \(output)")
                }
            } catch {
                try? await index.close()
                throw error
            }
        }

        /// Streams the export: one person read from the index and written at a time (through a
        /// 1 MB buffer), so memory does not grow with the index. A file is written to a
        /// temporary file beside it and renamed into place at the end: a failed export leaves
        /// no partial file.
        private func export(_ index: any FaceIndex) async throws -> IndexTransfer.Header {
            let people = try await index.enrolledPeople()
            let encoder = IndexTransfer.encoder()
            let header = IndexTransfer.Header(format: IndexTransfer.format, version: IndexTransfer.version, model: index.model,
                                              dimension: index.dimension, people: people.count,
                                              embeddings: people.reduce(0) { $0 + $1.embeddingCount })
            let target = URL(fileURLWithPath: output)
            let temporary = target.deletingLastPathComponent()
                .appendingPathComponent(".\(target.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
            let handle: FileHandle
            if output == "-" {
                handle = FileHandle.standardOutput
            } else {
                guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
                      let h = FileHandle(forWritingAtPath: temporary.path) else {
                    throw CLIError("\(output): cannot write the export (cannot create \(temporary.path))")
                }
                handle = h
            }
            func fail(_ error: Error) -> Error {
                guard output != "-" else { return error }
                try? handle.close()
                try? FileManager.default.removeItem(at: temporary)
                if error is CLIError || error is GalleryError { return error }
                return CLIError("\(output): cannot write the export (\(error.localizedDescription))")
            }
            var buffer = Data()
            do {
                buffer.append(try encoder.encode(header)); buffer.append(0x0A)
                for p in people {
                    let items = try await index.embeddings(of: p.identifier).map {
                        IndexTransfer.Item(vector: $0.embedding.vector, norm: $0.embedding.norm, metadata: $0.metadata)
                    }
                    buffer.append(try encoder.encode(IndexTransfer.Person(identifier: p.identifier, metadata: p.metadata, embeddings: items)))
                    buffer.append(0x0A)
                    if buffer.count >= 1 << 20 {
                        try handle.write(contentsOf: buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                }
                try handle.write(contentsOf: buffer)
                guard output != "-" else { return header }
                try handle.synchronize()
                try handle.close()
                // rename(2) over the target (Foundation's replaceItemAt failed on Linux and
                // lost the old export).
                do { try AtomicFile.replace(target, withFileAt: temporary) } catch {
                    throw CLIError("\(output): cannot write the export (\(error.reason))")
                }
            } catch {
                throw fail(error)
            }
            return header
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add the people of a JSON-lines export to an index.",
            discussion: """
            The export's model and dimension must be the index's: embeddings of another model are \
            refused. People already in the index get the imported embeddings added (as enroll does).
            """)
        @OptionGroup var store: IndexOptions
        @Argument(help: "The JSON-lines file written by `facekit gallery export`.") var file: String
        @Flag(help: "Print one JSON object.") var json = false
        func run() async throws {
            var reader = try LineReader(path: file)
            let decoder = JSONDecoder()
            guard let first = try reader.next(),
                  let header = try? decoder.decode(IndexTransfer.Header.self, from: first), header.format == IndexTransfer.format else {
                throw CLIError("\(file): not a facekit index export (the first line must be its header)")
            }
            guard header.version == IndexTransfer.version else {
                throw CLIError("\(file): export format version \(header.version) is not one this facekit reads (\(IndexTransfer.version))")
            }
            let index = try await store.open(writable: true)
            guard header.model == index.model && header.dimension == index.dimension else {
                try? await index.close()
                throw GalleryError.modelMismatch(file: file, expected: "\(index.model) (\(index.dimension)-d)",
                                                 found: "\(header.model) (\(header.dimension)-d)")
            }
            var people = 0, embeddings = 0, line = 1
            while let data = try reader.next() {
                line += 1
                if data.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
                let person: IndexTransfer.Person
                do { person = try decoder.decode(IndexTransfer.Person.self, from: data) } catch {
                    throw CLIError("\(file):\(line): not a person record of an index export; \(people) people were imported before it")
                }
                guard !person.embeddings.isEmpty else { continue }
                for item in person.embeddings where item.vector.count != header.dimension {
                    throw CLIError("\(file):\(line): \(person.identifier) has a \(item.vector.count)-value embedding, the export says \(header.dimension)")
                }
                try await index.enroll(person.identifier, embeddings: person.embeddings.map { FaceEmbedding(normalized: $0.vector, norm: $0.norm) },
                                       metadata: person.embeddings.map(\.metadata), personMetadata: person.metadata)
                people += 1
                embeddings += person.embeddings.count
            }
            try await index.close()
            print(json ? jsonLine(["gallery": store.displayName, "imported_people": people, "imported_embeddings": embeddings])
                       : "imported \(people) people, \(embeddings) embeddings into \(store.displayName)")
        }
    }

    struct Plot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw every enrolled embedding projected to 2-D (PCA), coloured and labelled by person.",
            discussion: """
            Each dot is one embedding, each colour one person, with the person's name at the mean of \
            their dots: a person's photos should make one tight cluster, and a dot far from its \
            colour's cluster is an enrolment worth checking.
            """)
        @OptionGroup var store: IndexOptions
        @Option(name: .shortAndLong, help: ArgumentHelp("The PNG file to write.", valueName: "file")) var output: String
        @Option(help: "The image width in pixels.") var width = 1_000
        @Option(help: "The image height in pixels.") var height = 750

        func validate() throws {
            guard (200...8_000).contains(width), (150...8_000).contains(height) else {
                throw ValidationError("--width must be 200 to 8000 and --height 150 to 8000 pixels")
            }
        }

        func run() async throws {
            let index = try await store.open(writable: false, mustExist: true)
            let people = try await index.enrolledPeople()
            var vectors: [[Float]] = [], owners: [Int] = []
            for (i, p) in people.enumerated() {
                for e in try await index.embeddings(of: p.identifier) { vectors.append(e.embedding.vector); owners.append(i) }
            }
            try await index.close()
            guard !vectors.isEmpty else { throw CLIError("\(store.displayName) is empty; enrol people first (facekit enroll)") }
            let pca = try PrincipalComponents(fitting: vectors, count: min(2, vectors[0].count))
            let points = try vectors.map { v -> (Float, Float) in
                let p = try pca.project(v)
                return (p[0], p.count > 1 ? p[1] : 0)
            }
            var image = try RGBImage(width: width, height: height, fill: (255, 255, 255))
            let margin = 60, top = 40
            let xs = points.map(\.0), ys = points.map(\.1)
            let (x0, x1) = (xs.min()!, xs.max()!), (y0, y1) = (ys.min()!, ys.max()!)
            func px(_ p: (Float, Float)) -> (Double, Double) {
                let u = x1 > x0 ? Double((p.0 - x0) / (x1 - x0)) : 0.5, v = y1 > y0 ? Double((p.1 - y0) / (y1 - y0)) : 0.5
                return (Double(margin) + u * Double(width - 2 * margin), Double(height - margin) - v * Double(height - margin - top))
            }
            // Axes frame.
            image.strokeRect(x: Double(margin - 10), y: Double(top - 10), width: Double(width - 2 * margin + 20),
                             height: Double(height - margin - top + 20), thickness: 1, RGBColor(200, 200, 200))
            for (k, p) in points.enumerated() {
                let (x, y) = px(p)
                image.fillCircle(x: x, y: y, radius: 5, personColor(owners[k]))
            }
            for (i, p) in people.enumerated() {
                let mine = points.indices.filter { owners[$0] == i }
                guard !mine.isEmpty else { continue }
                let c = (mine.map { points[$0].0 }.reduce(0, +) / Float(mine.count), mine.map { points[$0].1 }.reduce(0, +) / Float(mine.count))
                let (x, y) = px(c)
                // Right of the cluster, or left of it when the name would run off the image.
                let textWidth = p.identifier.count * 12
                let left = Int(x) + 8 + textWidth > width - 4 ? max(4, Int(x) - 8 - textWidth) : Int(x) + 8
                image.drawText(p.identifier, x: left, y: max(top, Int(y) - 16), scale: 2, color: personColor(i), background: nil)
            }
            let shown = pca.totalVariance > 0 ? 100 * pca.variances.reduce(0, +) / pca.totalVariance : 100
            image.drawText("\(people.count) PEOPLE / \(vectors.count) EMBEDDINGS - PCA: 2 AXES SHOW \(Int(shown.rounded()))% OF THE VARIANCE",
                           x: 10, y: 10, scale: 2, color: .black, background: nil)
            image.drawText("PC1", x: width - margin - 26, y: height - margin + 16, scale: 2, color: RGBColor(150, 150, 150), background: nil)
            image.drawText("PC2", x: 8, y: top + 4, scale: 2, color: RGBColor(150, 150, 150), background: nil)
            do { try image.writePNG(to: output) } catch { throw CLIError("\(output): cannot write the PNG (\(error))") }
            print("plotted \(vectors.count) embeddings of \(people.count) people to \(output) (\(width)x\(height))")
        }
    }
}

/// A distinct, fairly dark colour per person: hues spaced by the golden angle.
func personColor(_ i: Int) -> RGBColor {
    let h = (Double(i) * 137.507_764).truncatingRemainder(dividingBy: 360) / 60, s = 0.85, v = 0.8
    let c = v * s, x = c * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1)), m = v - c
    let (r, g, b): (Double, Double, Double)
    switch Int(h) {
    case 0: (r, g, b) = (c, x, 0)
    case 1: (r, g, b) = (x, c, 0)
    case 2: (r, g, b) = (0, c, x)
    case 3: (r, g, b) = (0, x, c)
    case 4: (r, g, b) = (x, 0, c)
    default: (r, g, b) = (c, 0, x)
    }
    return RGBColor(UInt8((r + m) * 255), UInt8((g + m) * 255), UInt8((b + m) * 255))
}
