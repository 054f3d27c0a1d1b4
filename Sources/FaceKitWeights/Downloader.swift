// Fetching a pinned file over HTTP(S) with Foundation's URLSession.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads one URL into memory (the pinned files are at most a few MB).
struct Downloader: Sendable {
    var timeout: TimeInterval

    func fetch(_ url: URL, expectedSize: Int) async throws -> Data {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout * 4
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await session.data(for: URLRequest(url: url))
        } catch {
            throw WeightsError.downloadFailed(url: url.absoluteString, reason: error.localizedDescription)
        }
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
            throw WeightsError.downloadFailed(url: url.absoluteString, reason: "HTTP status \(http.statusCode)")
        }
        guard data.count <= expectedSize * 2 + 1024 else {
            throw WeightsError.downloadFailed(url: url.absoluteString, reason: "response of \(data.count) bytes is far larger than the pinned \(expectedSize)")
        }
        return data
    }
}
