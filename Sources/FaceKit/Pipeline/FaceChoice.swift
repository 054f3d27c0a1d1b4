// Which face of a photo to use when the photo should show one person (enrolment).

/// Which face of a photo to use when the photo should show one person, as when enrolling.
///
/// Enrolling the wrong face of a group photo would poison every later identification of both
/// people, so the default, ``only``, refuses a photo with several faces and lists them
/// (``FaceKitError/multipleFaces(source:faces:)``); the caller then picks one by ``index(_:)``
/// or takes the ``largest``.
///
/// ```swift
/// let face = try recognizer.face(in: photo, choosing: .only, source: "photo.jpg")
/// try await gallery.enroll("Alice", embeddings: [face.embedding])
/// ```
public enum FaceChoice: Sendable, Equatable, Hashable {
    /// The photo's only face; a photo with several faces is refused.
    case only
    /// The face at this position of the detections, best detection score first: the order of
    /// `FaceRecognizer.faces(in:)`, of `FaceDetector.detect(in:)` and of the faces listed by
    /// ``FaceKitError/multipleFaces(source:faces:)``.
    case index(Int)
    /// The face with the largest box (by area; on a tie, the higher detection score).
    case largest

    /// The position in `faces` of the face this choice picks.
    ///
    /// - Parameters:
    ///   - faces: The detections of one photo, in detection order (best score first).
    ///   - source: Names the photo in errors.
    /// - Throws: ``FaceKitError/noFace(source:)`` when `faces` is empty,
    ///   ``FaceKitError/multipleFaces(source:faces:)`` for ``only`` and several faces, and
    ///   ``FaceKitError/noSuchFace(source:index:faces:)`` for an index outside `faces`.
    public func position(among faces: [DetectedFace], source: String = "<image>") throws -> Int {
        guard !faces.isEmpty else { throw FaceKitError.noFace(source: source) }
        switch self {
        case .only:
            guard faces.count == 1 else { throw FaceKitError.multipleFaces(source: source, faces: faces) }
            return 0
        case let .index(i):
            guard faces.indices.contains(i) else { throw FaceKitError.noSuchFace(source: source, index: i, faces: faces) }
            return i
        case .largest:
            var best = 0
            for i in faces.indices.dropFirst() where faces[i].box.area > faces[best].box.area { best = i }
            return best
        }
    }
}

extension BoundingBox {
    /// Width times height, in square pixels.
    var area: Double { width * height }
}
