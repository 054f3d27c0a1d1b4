// Placeholder until #12b's PostgreSQL back end merges: the lead replaces this file with the
// real `openPostgresIndex` (FaceKitPostgres). Until then a postgres:// index is refused with
// a typed error, so `--index postgres://…` fails with one clear line.
import FaceKit

/// Opens the PostgreSQL face index at `url` (not built into this facekit yet).
func openPostgresIndex(url: String, writable: Bool) async throws -> any FaceIndex {
    throw GalleryError.unavailable(index: url, reason: "PostgreSQL support is not built into this facekit")
}
