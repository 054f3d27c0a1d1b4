// What the detector reports about a face, in pixel coordinates of the upright image.

/// A point in continuous pixel coordinates (0 is the left/top edge; pixel i's centre is i + 0.5).
public struct PixelPoint: Sendable, Equatable, Hashable, Codable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}

/// An axis-aligned box: top-left corner and size, in pixels.
public struct BoundingBox: Sendable, Equatable, Hashable, Codable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }

    /// The centre of the box.
    public var center: PixelPoint { PixelPoint(x: x + width / 2, y: y + height / 2) }
}

/// BlazeFace's six keypoints. "Right" and "left" are the subject's: `rightEye` normally
/// appears on the image's left.
public struct FaceKeypoints: Sendable, Equatable, Hashable, Codable {
    public var rightEye: PixelPoint
    public var leftEye: PixelPoint
    public var noseTip: PixelPoint
    public var mouthCenter: PixelPoint
    public var rightEarTragion: PixelPoint
    public var leftEarTragion: PixelPoint

    public init(rightEye: PixelPoint, leftEye: PixelPoint, noseTip: PixelPoint, mouthCenter: PixelPoint,
                rightEarTragion: PixelPoint, leftEarTragion: PixelPoint) {
        self.rightEye = rightEye; self.leftEye = leftEye; self.noseTip = noseTip
        self.mouthCenter = mouthCenter; self.rightEarTragion = rightEarTragion; self.leftEarTragion = leftEarTragion
    }

    /// The keypoints in BlazeFace's order.
    public var all: [PixelPoint] { [rightEye, leftEye, noseTip, mouthCenter, rightEarTragion, leftEarTragion] }

    /// The names, in the same order as ``all``.
    public static let names = ["rightEye", "leftEye", "noseTip", "mouthCenter", "rightEarTragion", "leftEarTragion"]

    init(_ p: [PixelPoint]) {
        self.init(rightEye: p[0], leftEye: p[1], noseTip: p[2], mouthCenter: p[3], rightEarTragion: p[4], leftEarTragion: p[5])
    }
}

/// One detected face.
public struct DetectedFace: Sendable, Equatable, Codable {
    /// Detection confidence in [0, 1].
    public var score: Double
    /// The face box in pixels of the upright image.
    public var box: BoundingBox
    /// The six keypoints in pixels of the upright image.
    public var keypoints: FaceKeypoints
    /// The detector variant that found the face.
    public var variant: DetectorVariant

    public init(score: Double, box: BoundingBox, keypoints: FaceKeypoints, variant: DetectorVariant) {
        self.score = score; self.box = box; self.keypoints = keypoints; self.variant = variant
    }
}
