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
        one with --face INDEX (one photo) or --largest. The gallery file is created if missing. \
        Unreadable photos, photos without a face and photos with several are reported and \
        skipped; the exit status is then non-zero.
        """)

    @Option(help: "The gallery file.") var gallery: String
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
        let store = try FaceGallery(path: gallery, writable: true)
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
        try await store.enroll(name, embeddings: embeddings, metadata: metadata)
        try await store.save()
        let total = await store.people.first { $0.identifier == name }?.embeddings.count ?? 0
        if json {
            print(jsonLine(["gallery": gallery, "person": name, "added": embeddings.count, "embeddings": total, "failed": failures.subjects]))
        } else {
            print("enrolled \(name): \(embeddings.count) new embedding\(embeddings.count == 1 ? "" : "s"), \(total) in all (\(gallery))")
        }
        try failures.finish()
    }
}

struct IdentifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Find every face in each image and its best matches in a gallery.",
        discussion: "A face is identified as the best match when that match's similarity clears the threshold; otherwise it is unknown.")

    @Option(help: "The gallery file.") var gallery: String
    @Argument(help: "Images (files or directories).") var images: [String]
    @Option(help: "How many matches to show per face.") var top = 3
    @OptionGroup var pipeline: PipelineOptions
    @Flag(help: "One JSON object per image.") var json = false

    func run() async throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        let recognizer = try await pipeline.recognizer()
        let store = try FaceGallery(path: gallery, writable: false)
        guard await store.embeddingCount > 0 else { throw CLIError("\(gallery) is empty or missing; enrol people first (facekit enroll)") }
        var failures = Failures()
        await forEachPhoto(expandImagePaths(images), recognizer: recognizer, label: "identifying", failures: &failures) { path, photo in
            let faces = try recognizer.faces(in: photo)
            var list: [FaceReport] = []
            if !json { print("\(path): \(faces.count) face\(faces.count == 1 ? "" : "s")") }
            for (k, face) in faces.enumerated() {
                let result = try await store.identify(face.embedding, threshold: recognizer.configuration.threshold, top: top)
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
        try failures.finish()
    }
}

struct GalleryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery", abstract: "List, remove and rename the people of a gallery.",
        subcommands: [List.self, Remove.self, Rename.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the enrolled people.")
        @Option(help: "The gallery file.") var gallery: String
        @Flag(help: "Print one JSON object.") var json = false
        func run() async throws {
            guard FileManager.default.fileExists(atPath: gallery) else { throw CLIError("no gallery at \(gallery)") }
            let people = try await FaceGallery(path: gallery, writable: false).people
            if json {
                print(jsonLine(["gallery": gallery, "people": people.map { p in
                    ["identifier": p.identifier, "embeddings": p.embeddings.count, "sources": p.embeddings.compactMap { $0.metadata["source"] }] as JSONObject
                }]))
            } else {
                print("\(gallery): \(people.count) people, \(people.reduce(0) { $0 + $1.embeddings.count }) embeddings")
                for p in people { print("  \(p.identifier)  (\(p.embeddings.count) embedding\(p.embeddings.count == 1 ? "" : "s"))") }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a person and their embeddings.")
        @Option(help: "The gallery file.") var gallery: String
        @Argument(help: "The person to remove.") var name: String
        @Flag(help: "Print one JSON object.") var json = false
        func run() async throws {
            let store = try FaceGallery(path: gallery, writable: true)
            try await store.remove(name)
            try await store.save()
            print(json ? jsonLine(["gallery": gallery, "removed": name, "people": await store.people.count]) : "removed \(name)")
        }
    }

    struct Rename: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename a person.")
        @Option(help: "The gallery file.") var gallery: String
        @Argument(help: "The current name.") var name: String
        @Argument(help: "The new name.") var newName: String
        @Flag(help: "Print one JSON object.") var json = false
        func run() async throws {
            let store = try FaceGallery(path: gallery, writable: true)
            try await store.rename(name, to: newName)
            try await store.save()
            print(json ? jsonLine(["gallery": gallery, "renamed": name, "to": newName]) : "renamed \(name) to \(newName)")
        }
    }
}
