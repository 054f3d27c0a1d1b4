// The shared FaceIndex contract (FaceKitTestSupport/FaceIndexContract.swift) against the
// in-process gallery, in memory and in a file.
import FaceKit
import FaceKitTestSupport
import Foundation
import Testing

@Suite struct FaceIndexContractTests {
    static let memory = FaceIndexFactory(
        name: "in-memory gallery",
        makeEmpty: { try FaceGallery(storage: InMemoryGalleryStorage()) },
        reopen: nil)

    static let file = FaceIndexFactory(
        name: "gallery file",
        makeEmpty: {
            let path = try Shared.temporaryDirectory("index-contract").appendingPathComponent("people.fkg").path
            return try FaceGallery(path: path, writable: true)
        },
        reopen: { index in
            guard let gallery = index as? FaceGallery else { throw GalleryError.invalidArgument("not a FaceGallery") }
            let path = try #require(gallery.filePath)
            await gallery.close()
            return try FaceGallery(path: path, writable: false)
        })

    @Test("the in-memory gallery keeps the FaceIndex contract", arguments: FaceIndexContract.checks)
    func memory(_ check: String) async throws { try await FaceIndexContract.run(check, Self.memory) }

    @Test("the gallery file keeps the FaceIndex contract", arguments: FaceIndexContract.checks)
    func file(_ check: String) async throws { try await FaceIndexContract.run(check, Self.file) }
}
