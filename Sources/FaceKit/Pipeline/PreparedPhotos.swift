// Many photo files in a row: each read and prepared (decoded at the size the detector needs) on
// a task of its own while the caller runs the networks on the one before, with a fixed number
// of photos prepared ahead, so memory stays bounded whatever the number of files.
import FaceKitImage

extension FaceRecognizer {
    /// The photo files at `paths`, in order, each prepared (see ``prepare(contentsOfFile:decoder:)``)
    /// while the caller works on the ones before it.
    ///
    /// At most `lookahead` photos are prepared ahead of the one the caller has, so at most
    /// `lookahead + 1` decoded photos are held at once. A file that cannot be read or decoded
    /// comes in its place as a failure, and the files after it still come:
    ///
    /// ```swift
    /// for await file in recognizer.preparedPhotos(contentsOfFiles: paths) {
    ///     let faces = try recognizer.faces(in: try file.photo.get())
    ///     print(file.path, faces.count)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - paths: photo files (JPEG, PNG or WebP).
    ///   - lookahead: photos prepared ahead of the caller (default 2; below 0 counts as 0, which
    ///     still prepares each photo on another task, one at a time).
    ///   - decoder: the decoder, with its pixel budget.
    public func preparedPhotos(contentsOfFiles paths: [String], lookahead: Int = 2,
                               decoder: ImageDecoder = ImageDecoder()) -> PreparedPhotos {
        PreparedPhotos(recognizer: self, paths: paths, lookahead: max(0, lookahead), decoder: decoder)
    }
}

/// Photo files prepared ahead of their use; make one with
/// ``FaceRecognizer/preparedPhotos(contentsOfFiles:lookahead:decoder:)``.
public struct PreparedPhotos: AsyncSequence, Sendable {
    /// One file of the sequence: its path, and its prepared photo or why it could not be prepared.
    public struct File: Sendable {
        /// The file's path, as given.
        public let path: String
        /// The prepared photo, or the error that reading or decoding the file gave.
        public let photo: Result<PreparedPhoto, any Error>
    }

    /// Each file comes as a ``File``, its failure included.
    public typealias Element = File
    /// The sequence itself never throws: a file's error comes in its ``File``.
    public typealias Failure = Never

    let recognizer: FaceRecognizer
    /// The files, in the order they come.
    public let paths: [String]
    /// Photos prepared ahead of the one the caller has.
    public let lookahead: Int
    let decoder: ImageDecoder

    /// An iterator that starts preparing the first `lookahead + 1` files on its first `next()`.
    public func makeAsyncIterator() -> Iterator {
        Iterator(sequence: self)
    }

    /// Prepares the files in order, `lookahead` ahead of the one it hands out.
    public struct Iterator: AsyncIteratorProtocol {
        let sequence: PreparedPhotos
        let pending = PendingPreparations()
        /// The next file to start preparing, and the next to hand out.
        var started = 0, handedOut = 0

        init(sequence: PreparedPhotos) { self.sequence = sequence }

        /// The next file, once it is prepared (or has failed); nil after the last.
        public mutating func next() async -> File? {
            let paths = sequence.paths
            guard handedOut < paths.count else { return nil }
            while started < paths.count && started <= handedOut + sequence.lookahead {
                let (recognizer, decoder, path) = (sequence.recognizer, sequence.decoder, paths[started])
                pending.tasks.append(Task.detached { try recognizer.prepare(contentsOfFile: path, decoder: decoder) })
                started += 1
            }
            let task = pending.tasks.removeFirst()
            let path = paths[handedOut]
            handedOut += 1
            do {
                return File(path: path, photo: .success(try await task.value))
            } catch {
                return File(path: path, photo: .failure(error))
            }
        }
    }
}

/// The preparations an iterator has started and not handed out; cancelled when the iterator is
/// dropped before the end (a preparation already running still finishes, and its photo is freed).
final class PendingPreparations {
    var tasks: [Task<PreparedPhoto, any Error>] = []

    deinit {
        for task in tasks { task.cancel() }
    }
}
