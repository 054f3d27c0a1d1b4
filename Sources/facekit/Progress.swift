import FaceKit
import FaceKitSupport
import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
struct ProgressBar {
    let total: Int
    let label: String
    let enabled = Platform.isTerminal(2)

    func update(_ done: Int) {
        guard enabled, total > 1 else { return }
        let width = 30, filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(done)/\(total)".utf8))
        if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// Decodes each image of `paths` and runs `body` on it, with a progress bar labelled `label`;
/// a file that cannot be read or processed is recorded in `failures` (with its path) and the
/// loop goes on. This is the loop of every command over many images.
func forEachImage(_ paths: [String], label: String, failures: inout Failures,
                  _ body: (_ path: String, _ image: RGBImage) async throws -> Void) async {
    let progress = ProgressBar(total: paths.count, label: label)
    let decoder = ImageDecoder()
    for (index, path) in paths.enumerated() {
        do { try await body(path, try decoder.decode(contentsOfFile: path)) } catch {
            failures.record(error, subject: path)
        }
        progress.update(index + 1)
    }
}

/// Runs `body` on each photo of `paths`, prepared for `recognizer` (read, and decoded at the
/// size its detector needs) ahead of it by ``FaceRecognizer/preparedPhotos(contentsOfFiles:lookahead:decoder:)``
/// (at most `lookahead + 1` decoded photos in flight, whatever the number of files). Failures
/// are recorded as in ``forEachImage(_:label:failures:_:)`` and the loop goes on.
func forEachPhoto(_ paths: [String], recognizer: FaceRecognizer, label: String, failures: inout Failures, lookahead: Int = 2,
                  _ body: (_ path: String, _ photo: PreparedPhoto) async throws -> Void) async {
    let progress = ProgressBar(total: paths.count, label: label)
    var done = 0
    for await file in recognizer.preparedPhotos(contentsOfFiles: paths, lookahead: lookahead) {
        do { try await body(file.path, try file.photo.get()) } catch {
            failures.record(error, subject: file.path)
        }
        done += 1
        progress.update(done)
    }
}

/// Expands directories into the image files inside them (sorted), leaving files as they are.
func expandImagePaths(_ paths: [String]) -> [String] {
    let extensions: Set<String> = ["jpg", "jpeg", "png", "webp"]
    return paths.flatMap { path -> [String] in
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let items = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return items.filter { extensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }.sorted()
            .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
    }
}
