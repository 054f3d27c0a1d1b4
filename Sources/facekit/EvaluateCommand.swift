import ArgumentParser
import FaceKit
import FaceKitSupport
import Foundation

struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure verification accuracy on labelled pairs and find thresholds for target false-accept rates.",
        discussion: """
        Pairs: the LFW pairs.txt format ("name i j" for a same-person pair, "name1 i name2 j" for a \
        different-person pair, images at ROOT/name/name_%04d.jpg; a first line "10 300" gives LFW's folds) \
        or a CSV "path_a,path_b,same" with paths relative to ROOT. Each image's main face is embedded; \
        pairs whose images cannot be read or have no face are not used: one line on stderr first says \
        how many and why, with an example path, then they are listed, and the exit status is non-zero.
        """)

    @Option(help: "The pairs file.") var pairs: String
    @Option(help: "The directory the image paths are relative to.") var root: String = "."
    @Option(help: "Write the ROC curve (threshold, true-accept rate, false-accept rate) to this CSV file.") var roc: String?
    @OptionGroup var pipeline: PipelineOptions
    @Flag(help: "Print one JSON object.") var json = false

    func run() async throws {
        // FileHandle, unlike String(contentsOfFile:), also reads devices and pipes (/dev/null, <(…)).
        let data: Data
        do { data = try FileHandle(forReadingFrom: URL(fileURLWithPath: pairs)).readToEnd() ?? Data() } catch {
            throw CLIError("cannot read \(pairs): \(error.localizedDescription)")
        }
        let list = try PairsFile.parse(String(decoding: data, as: UTF8.self), root: root, source: pairs)
        let recognizer = try await pipeline.recognizer()
        let paths = Array(Set(list.flatMap { [$0.first, $0.second] })).sorted()
        var embeddings: [String: FaceEmbedding] = [:], unusable = Failures()
        await forEachImage(paths, label: "embedding", failures: &unusable) { path, image in
            embeddings[path] = try recognizer.embedding(of: image, source: path)
        }
        let problems = Dictionary(unusable.items.map { ($0.subject, $0.message) }, uniquingKeysWith: { a, _ in a })
        let reasons = Dictionary(unusable.errors.map { ($0.subject, UnusableImageReason(error: $0.error, path: $0.subject)) },
                                 uniquingKeysWith: { a, _ in a })
        let skipped = SkippedPairs(pairs: list, unusableImages: reasons)
        // Said first, on stderr: with a wrong --root every pair is skipped and the metrics below
        // would otherwise fail with only "needs both same-person and different-person pairs".
        if !skipped.isEmpty { printError(skipped.description) }
        var scored: [(score: Float, same: Bool)] = [], folds: [Int] = []
        for p in list {
            guard let a = embeddings[p.first], let b = embeddings[p.second] else { continue }
            scored.append((try a.cosineSimilarity(to: b), p.isSamePerson))
            folds.append(p.fold ?? -1)
        }
        let report = try VerificationMetrics.evaluate(scored, folds: folds.contains(-1) ? nil : folds)
        if let roc {
            let csv = "threshold,true_accept_rate,false_accept_rate\n" + report.roc.map { "\($0.threshold),\($0.trueAcceptRate),\($0.falseAcceptRate)" }.joined(separator: "\n") + "\n"
            do { try csv.write(toFile: roc, atomically: true, encoding: .utf8) } catch { throw CLIError("cannot write \(roc): \(error.localizedDescription)") }
        }
        if json {
            print(jsonLine([
                "pairs": list.count, "evaluated": scored.count, "samePairs": report.samePairs, "differentPairs": report.differentPairs,
                "auc": rounded(report.auc, 4), "bestAccuracy": rounded(report.bestAccuracy, 4), "bestThreshold": rounded(Double(report.bestThreshold), 4),
                "crossValidatedAccuracy": rounded(report.crossValidatedAccuracy, 4), "crossValidationStd": rounded(report.crossValidationStandardDeviation, 4),
                "folds": report.folds,
                "tarAtFar": report.operatingPoints.map { ["far": $0.targetFalseAcceptRate, "tar": rounded($0.trueAcceptRate, 4), "threshold": rounded(Double($0.threshold), 4),
                                                         "measuredFar": rounded($0.falseAcceptRate, 4), "resolvable": $0.isResolvable] as JSONObject },
                "skippedPairs": skipped.pairs.map { ["first": $0.first, "second": $0.second, "same": $0.isSamePerson] as JSONObject },
                "unusableImages": problems,
            ]))
        } else {
            print("\(list.count) pairs: \(scored.count) evaluated (\(report.samePairs) same person, \(report.differentPairs) different), \(skipped.pairs.count) skipped")
            print(String(format: "ROC AUC                 %.4f", report.auc))
            print(String(format: "best accuracy           %.4f at threshold %.4f", report.bestAccuracy, report.bestThreshold))
            print(String(format: "%d-fold CV accuracy     %.4f ± %.4f", report.folds, report.crossValidatedAccuracy, report.crossValidationStandardDeviation))
            for p in report.operatingPoints {
                let label = "TAR @ FAR \(p.targetFalseAcceptRate)"
                print(label.padding(toLength: 24, withPad: " ", startingAt: 0)
                      + String(format: "%.4f at threshold %.4f (measured FAR %.4f)", p.trueAcceptRate, p.threshold, p.falseAcceptRate)
                      + (p.isResolvable ? "" : "  [too few different-person pairs to resolve]"))
            }
            if !problems.isEmpty {
                print("unusable images (their pairs were skipped):")
                for (path, why) in problems.sorted(by: { $0.key < $1.key }) { print("  \(path): \(why)") }
            }
        }
        if !skipped.isEmpty { throw ExitCode.failure }
    }
}

struct AnnotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "annotate",
        abstract: "Draw boxes, keypoints and scores onto an image (and optionally the aligned crops beside it) as PNG.")

    @Argument(help: "The image.") var image: String
    @Option(name: .shortAndLong, help: "The PNG file to write.") var output: String
    @Flag(help: "Tile each face's aligned 112x112 crop beside the photo.") var crops = false
    @Option(name: .customLong("index"), help: ArgumentHelp(
        "Label faces with their best match in this face index (a gallery file or a postgres:// URL), when it clears the threshold.",
        valueName: "path-or-url"))
    var index: String?
    @Option(name: .customLong("gallery"), help: ArgumentHelp("The same as --index (a gallery file).", valueName: "file")) var gallery: String?
    @OptionGroup var pipeline: PipelineOptions
    @Flag(help: "Print one JSON object (the faces drawn).") var json = false

    func validate() throws {
        if index != nil && gallery != nil { throw ValidationError("--index and --gallery name the same thing; give one") }
    }

    func run() async throws {
        let photo = try ImageDecoder().decode(contentsOfFile: image)
        var faces: [RecognizedFace] = []
        var detections: [DetectedFace]
        let location = index ?? gallery
        if crops || location != nil {
            faces = try await pipeline.recognizer().faces(in: photo)
            detections = faces.map(\.detection)
        } else {
            detections = try await FaceDetector(configuration: try pipeline.detector.configuration(), store: pipeline.weights.store()).detect(in: photo)
        }
        var labels: [String]? = nil
        if let location {
            let store = try await openIndex(location, writable: false, mustExist: true)
            var names: [String] = []
            do {
                for f in faces { names.append(try await store.identify(f.embedding, threshold: pipeline.threshold).identity ?? "?") }
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
            labels = names
        }
        var out = photo.annotated(with: detections, labels: labels)
        if crops { out = try out.tilingCrops(faces.map(\.aligned)) }
        try out.writePNG(to: output)
        if json {
            var list = detections.map(faceJSON)
            if let labels { for i in list.indices { list[i]["label"] = labels[i] } }
            print(jsonLine(["image": image, "output": output, "width": out.width, "height": out.height, "faces": list]))
        } else {
            print("\(image): \(detections.count) face\(detections.count == 1 ? "" : "s") drawn to \(output)")
        }
    }
}
