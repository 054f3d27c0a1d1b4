@_exported import FaceKitImage
