// FaceKit: detect, align, embed and match faces in pure Swift.
//
// `import FaceKit` brings the image and weights layers with it, so a client can read
// photos and manage model files without further imports. Only what a user needs is public in
// those layers (images, decoding, drawing; `WeightStore`, `ModelID`, the manifest and errors);
// the TF.js reader, safetensors and other internals are `package` and stay out of the API.
@_exported import FaceKitImage
@_exported import FaceKitWeights

import FaceKitTensor

/// The version of this FaceKit release, following semantic versioning.
///
/// Use it qualified, as `FaceKit.version`. It equals the latest entry of the repository's
/// `CHANGELOG.md` (a test keeps the two in step), and `facekit --version` prints it.
public let version = "0.1.0"

/// How many threads an inference may use (from the tensor layer).
public typealias ThreadCount = FaceKitTensor.ThreadCount
