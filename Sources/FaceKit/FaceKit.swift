// FaceKit: detect, align, embed and match faces in pure Swift.
//
// `import FaceKit` brings the image and weights layers with it, so a client can read
// photos and manage model files without further imports.
@_exported import FaceKitImage
@_exported import FaceKitWeights

import FaceKitTensor

/// How many threads an inference may use (from the tensor layer).
public typealias ThreadCount = FaceKitTensor.ThreadCount
