// The HTTP service as a client sees it: real servers on loopback ports, plain HTTP over
// sockets, every answer checked against the committed OpenAPI document.
import FaceKit
import FaceKitServer
import FaceKitTestSupport
import Foundation
import Testing

let token = "s3cret-token"
let bearer = [("Authorization", "Bearer \(token)")]

@Suite("facekit serve", .serialized)
struct ServerTests {
    @Test("every route: health, ready, OpenAPI, detect, embed, compare, identify, enrol, list, rename, delete, metrics")
    func routes() async throws {
        let s = try await RunningServer.start()
        let recognizer = try await Models.recognizer.value

        #expect(try await s.send("GET", "/health").object["status"] as? String == "ok")
        let ready = try await s.send("GET", "/ready")
        #expect(ready.status == 200 && ready.object["people"] as? Int == 0)
        let doc = try await s.send("GET", "/openapi.json")
        #expect(doc.status == 200 && doc.object["openapi"] as? String == "3.1.0")

        // detect: what the library's detector finds in the same photo, in the documented shape.
        let detect = try await s.postImage("/v1/detect", try Photos.group)
        #expect(detect.status == 200)
        let image = try ImageDecoder().decode(try Photos.group)
        let expected = try recognizer.detector.detect(in: image).map { FaceReport($0) }
        let got = try JSONDecoder().decode(ImageReport.self, from: Data(detect.body))
        #expect(got.faces == expected && got.width == image.width && got.height == image.height)
        #expect(expected.count == 2)
        let capped = try await s.postImage("/v1/detect?max-faces=1", try Photos.group)
        #expect((capped.object["faces"] as? [Any])?.count == 1)

        // embed: the library's embedding of the same face.
        let embed = try await s.postImage("/v1/embed", try Photos.biden)
        let embedded = try JSONDecoder().decode(ImageReport.self, from: Data(embed.body))
        let library = try recognizer.faces(in: try recognizer.prepare(EncodedImage(Data(try Photos.biden))))
        #expect(embedded.faces.count == 1 && library.count == 1)
        let vector = try #require(embedded.faces.first?.embedding)
        #expect(vector.count == FaceEmbedder.dimension)
        let cosine = zip(vector, library[0].embedding.vector).reduce(0.0) { $0 + $1.0 * Double($1.1) }
        #expect(cosine > 0.9999, "\(cosine)")
        let multipartEmbed = RawHTTP.multipart([("image", try Photos.png)])
        let png = try await s.send("POST", "/v1/embed", headers: [("Content-Type", multipartEmbed.contentType)], body: multipartEmbed.body)
        #expect(png.status == 200 && (png.object["faces"] as? [Any])?.count == 1)

        // compare: the same person and two people.
        let same = RawHTTP.multipart([("first", try Photos.biden), ("second", try Photos.bidenAgain)])
        let s1 = try await s.send("POST", "/v1/compare", headers: [("Content-Type", same.contentType)], body: same.body)
        #expect(s1.status == 200 && s1.object["match"] as? Bool == true, "\(s1.text)")
        let other = RawHTTP.multipart([("first", try Photos.biden), ("second", try Photos.obama)])
        let s2 = try await s.send("POST", "/v1/compare", headers: [("Content-Type", other.contentType)], body: other.body)
        #expect(s2.status == 200 && s2.object["match"] as? Bool == false, "\(s2.text)")
        let one = try await s.postImage("/v1/compare", try Photos.biden)
        #expect(one.status == 400 && one.code == "missing_image")

        // enrol from a photo, and from embeddings (JSON).
        let enrolled = try await s.postImage("/v1/people/Joe%20Biden/faces", try Photos.biden, token: token)
        #expect(enrolled.status == 201 && enrolled.object["added"] as? Int == 1 && enrolled.object["person"] as? String == "Joe Biden", "\(enrolled.text)")
        let obamaFace = try recognizer.faces(in: try recognizer.prepare(EncodedImage(Data(try Photos.obama))))[0]
        let upload = try JSONSerialization.data(withJSONObject: ["embeddings": [obamaFace.embedding.vector.map(Double.init)]])
        let byVector = try await s.send("POST", "/v1/people/obama/faces", headers: bearer + [("Content-Type", "application/json")], body: Array(upload))
        #expect(byVector.status == 201 && byVector.object["embeddings"] as? Int == 1, "\(byVector.text)")
        let groupPhoto = try await s.postImage("/v1/people/someone/faces", try Photos.group, token: token)
        #expect(groupPhoto.status == 422 && groupPhoto.code == "multiple_faces")

        let people = try await s.send("GET", "/v1/people")
        #expect((people.object["people"] as? [[String: Any]])?.compactMap { $0["identifier"] as? String } == ["Joe Biden", "obama"])

        // identify: both people in the group photo.
        let identify = try await s.postImage("/v1/identify?top=2", try Photos.group)
        let identities = (identify.object["faces"] as? [[String: Any]])?.compactMap { $0["identity"] as? String }
        #expect(Set(identities ?? []) == ["Joe Biden", "obama"], "\(identify.text.prefix(400))")

        // rename and delete.
        let renamed = try await s.send("PATCH", "/v1/people/obama", headers: bearer + [("Content-Type", "application/json")],
                                       body: Array(#"{"name": "Barack Obama"}"#.utf8))
        #expect(renamed.status == 200 && renamed.object["to"] as? String == "Barack Obama")
        let taken = try await s.send("PATCH", "/v1/people/Barack%20Obama", headers: bearer + [("Content-Type", "application/json")],
                                     body: Array(#"{"name": "Joe Biden"}"#.utf8))
        #expect(taken.status == 409 && taken.code == "duplicate_person")
        let removed = try await s.send("DELETE", "/v1/people/Joe%20Biden", headers: bearer)
        #expect(removed.status == 200 && removed.object["people"] as? Int == 1)
        #expect(try await s.send("GET", "/ready").object["people"] as? Int == 1)

        // metrics: request counts and latencies by route, and the inference queue depth.
        let metrics = try await s.send("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains("facekit_http_requests_total{") && metrics.text.contains("route=\"/v1/detect\""), "\(metrics.text.prefix(500))")
        #expect(metrics.text.contains("facekit_http_request_duration_seconds_bucket"))
        #expect(metrics.text.contains("facekit_inference_queue_depth"))

        let unknown = try await s.send("GET", "/v2/nothing")
        #expect(unknown.status == 404 && unknown.code == "not_found")
        try await s.stop()

        // The writes are in the gallery file once the server has stopped.
        let reopened = try FaceGallery(path: s.galleryPath, writable: false)
        #expect(await reopened.people.map(\.identifier) == ["Barack Obama"])
    }

    @Test("per-request options: the CLI's min-score, max-faces, min-face, tiling, threshold, top and face, as query or form fields")
    func options() async throws {
        let s = try await RunningServer.start()
        let recognizer = try await Models.recognizer.value
        func faces(_ answer: HTTPAnswer) throws -> [FaceReport] {
            #expect(answer.status == 200, "\(answer.status) \(answer.text.prefix(300))")
            return try JSONDecoder().decode(ImageReport.self, from: Data(answer.body)).faces
        }
        // The front row of the Solvay photo (Langmuir … Richardson, faces centred at y ≈ 290…330):
        // small faces that only the tiles at finer scales find (TiledDetectionTests).
        func frontRow(_ faces: [FaceReport]) -> Int { faces.filter { (280...345).contains($0.box.y + $0.box.height / 2) }.count }
        let solvay = try Photos.solvay
        let tiled = try faces(try await s.postImage("/v1/detect", solvay))
        let expectedCount = try Photos.expectedFaces("group/solvay1927_colorized.jpg")
        #expect(tiled.count == expectedCount)
        #expect(frontRow(tiled) >= 9)

        // tiling=off is the single pass, as a detector loaded with that setting finds it (not
        // the server's detector: this one is loaded afresh from the weights).
        let store = WeightStore(directory: Shared.weights, environment: [:], cacheDirectory: try Shared.temporaryDirectory("facekit-serve-weights"),
                                allowsDownload: false)
        let singlePass = try await FaceDetector(configuration: .init(threads: ThreadCount(1), tiling: .off), store: store)
        let image = try ImageDecoder().decode(solvay)
        let expectedSingle = try singlePass.detect(in: image).map { FaceReport($0) }
        let off = try faces(try await s.postImage("/v1/detect?tiling=off", solvay))
        #expect(off == expectedSingle)
        #expect(frontRow(off) < frontRow(tiled))
        // The same as a form field, on embed (whose faces carry embeddings).
        let form = RawHTTP.multipart([("image", solvay)], fields: [("tiling", "off")])
        let embedded = try faces(try await s.send("POST", "/v1/embed", headers: [("Content-Type", form.contentType)], body: form.body))
        #expect(embedded.count == expectedSingle.count && embedded.allSatisfy { $0.embedding?.count == FaceEmbedder.dimension })
        #expect(frontRow(embedded) < frontRow(tiled))
        // A minimum face the single pass already sees (a 16th of the 2048-pixel side is 128): no tiles either.
        #expect(try faces(try await s.postImage("/v1/detect?min-face=200", solvay)) == expectedSingle)
        // max-faces: the best faces first, as many as asked.
        #expect(try faces(try await s.postImage("/v1/detect?max-faces=5", solvay)) == Array(tiled.prefix(5)))

        // min-score, between the two faces of the Oval Office photo: the better one alone.
        let pair = try faces(try await s.postImage("/v1/detect", try Photos.group))
        #expect(pair.count == 2)
        let between = (pair[0].score + pair[1].score) / 2
        #expect(pair[0].score > pair[1].score + 0.001)
        let better = try faces(try await s.postImage("/v1/detect?min-score=\(between)", try Photos.group))
        // The same face (weighted NMS averages fewer candidates above the higher score, so the
        // box may move a little).
        #expect(better.count == 1 && better.allSatisfy { $0.score >= between - 0.001 }, "\(better)")
        if let face = better.first {
            #expect(abs(face.box.x - pair[0].box.x) < 0.1 * pair[0].box.width && abs(face.box.y - pair[0].box.y) < 0.1 * pair[0].box.height,
                    "\(face.box) \(pair[0].box)")
        }

        // threshold, as a field and as a query parameter: the verdict follows it.
        let twoBidens = [("first", try Photos.biden), ("second", try Photos.bidenAgain)]
        let strict = RawHTTP.multipart(twoBidens, fields: [("threshold", "0.99")])
        let no = try await s.send("POST", "/v1/compare", headers: [("Content-Type", strict.contentType)], body: strict.body)
        #expect(no.status == 200 && no.object["match"] as? Bool == false && no.object["threshold"] as? Double == 0.99, "\(no.text)")
        let plain = RawHTTP.multipart(twoBidens)
        let lax = try await s.send("POST", "/v1/compare?threshold=-1", headers: [("Content-Type", plain.contentType)], body: plain.body)
        #expect(lax.status == 200 && lax.object["match"] as? Bool == true && lax.object["threshold"] as? Double == -1, "\(lax.text)")

        // face: which face of a group photo to enrol; top: matches per face.
        let refused = try await s.postImage("/v1/people/someone/faces", try Photos.group, token: token)
        #expect(refused.status == 422 && refused.code == "multiple_faces")
        #expect(try await s.postImage("/v1/people/largest/faces?face=largest", try Photos.group, token: token).status == 201)
        let second = RawHTTP.multipart([("image", try Photos.group)], fields: [("face", "1")])
        #expect(try await s.send("POST", "/v1/people/second/faces", headers: bearer + [("Content-Type", second.contentType)], body: second.body).status == 201)
        let missing = try await s.postImage("/v1/people/x/faces?face=2", try Photos.group, token: token)
        #expect(missing.status == 422 && missing.code == "no_such_face")
        let identified = try await s.postImage("/v1/identify?top=1&threshold=0.3", try Photos.group)
        let matched = (identified.object["faces"] as? [[String: Any]]) ?? []
        #expect(matched.count == 2 && matched.allSatisfy { ($0["matches"] as? [Any])?.count == 1 }, "\(identified.text.prefix(300))")
        #expect(identified.object["threshold"] as? Double == 0.3)
        // The largest face and face 1 are the two people (the library's faces, by box size).
        let people = try recognizer.faces(in: try recognizer.prepare(EncodedImage(Data(try Photos.group))))
        #expect(people.count == 2)
        let identities = Set(matched.compactMap { $0["identity"] as? String })
        #expect(identities == ["largest", "second"] || people[0].detection.box.width * people[0].detection.box.height
                    < people[1].detection.box.width * people[1].detection.box.height, "\(identified.text.prefix(400))")

        // Bad options: a stable code, before any inference.
        func expectCode(_ answer: HTTPAnswer, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(answer.status == 400 && answer.code == code, "\(answer.status) \(answer.text.prefix(300))", sourceLocation: sourceLocation)
        }
        let biden = try Photos.biden
        expectCode(try await s.postImage("/v1/detect?top=2", biden), "unknown_option")          // identify's, not detect's
        expectCode(try await s.postImage("/v1/detect?min_score=0.5", biden), "unknown_option")  // misspelt
        expectCode(try await s.postImage("/v1/embed?face=largest", biden), "unknown_option")
        expectCode(try await s.postImage("/v1/detect?tiling=sometimes", biden), "invalid_option")
        expectCode(try await s.postImage("/v1/detect?min-face=0", biden), "invalid_option")
        expectCode(try await s.postImage("/v1/detect?min-face=nan", biden), "invalid_option")
        expectCode(try await s.postImage("/v1/detect?max-faces=0", biden), "invalid_option")
        expectCode(try await s.postImage("/v1/identify?threshold=1.5", biden), "invalid_option")
        expectCode(try await s.postImage("/v1/identify?top=101", biden), "invalid_option")
        expectCode(try await s.postImage("/v1/people/y/faces?face=-1", biden, token: token), "invalid_option")
        expectCode(try await s.postImage("/v1/detect?min-score=0.5&min-score=0.6", biden), "invalid_option")
        let twice = RawHTTP.multipart([("image", biden)], fields: [("min-score", "0.6")])
        expectCode(try await s.send("POST", "/v1/detect?min-score=0.5", headers: [("Content-Type", twice.contentType)], body: twice.body), "invalid_option")
        let foreign = RawHTTP.multipart([("image", biden)], fields: [("threshold", "0.5")])
        expectCode(try await s.send("POST", "/v1/detect", headers: [("Content-Type", foreign.contentType)], body: foreign.body), "unknown_option")
        #expect(try await s.postImage("/v1/detect?min-score=0.5&max-faces=1&min-face=20&tiling=automatic", biden).status == 200)
        try await s.stop()
    }

    @Test("write routes: bearer token required, refused without a configured token, open only when asked")
    func authorization() async throws {
        let s = try await RunningServer.start()
        let body = try Photos.biden
        let none = try await s.postImage("/v1/people/a/faces", body)
        #expect(none.status == 401 && none.code == "unauthorized" && none.headers["www-authenticate"] == "Bearer")
        let wrong = try await s.postImage("/v1/people/a/faces", body, token: "s3cret-tokem")
        #expect(wrong.status == 401 && wrong.code == "unauthorized")
        let prefix = try await s.postImage("/v1/people/a/faces", body, token: String(token.dropLast()))
        #expect(prefix.status == 401)
        #expect(try await s.send("DELETE", "/v1/people/a").status == 401)
        #expect(try await s.send("PATCH", "/v1/people/a", headers: [("Content-Type", "application/json")], body: Array(#"{"name":"b"}"#.utf8)).status == 401)
        #expect(try await s.postImage("/v1/people/a/faces", body, token: token).status == 201)
        try await s.stop()

        let closed = try await RunningServer.start { $0.writeToken = nil }
        let refused = try await closed.postImage("/v1/people/a/faces", body, token: token)
        #expect(refused.status == 403 && refused.code == "writes_disabled")
        #expect(try await closed.send("DELETE", "/v1/people/a").code == "writes_disabled")
        #expect(try await closed.send("GET", "/v1/people").status == 200)
        try await closed.stop()

        let open = try await RunningServer.start { $0.writeToken = nil; $0.allowsOpenWrites = true }
        #expect(try await open.postImage("/v1/people/a/faces", body).status == 201)
        try await open.stop()
    }

    @Test("hostile requests get the right 4xx, and the server keeps serving")
    func hostile() async throws {
        let s = try await RunningServer.start()
        let biden = try Photos.biden
        func expectCode(_ answer: HTTPAnswer, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(answer.status == status && answer.code == code, "\(answer.status) \(answer.text.prefix(300))", sourceLocation: sourceLocation)
        }
        expectCode(try await s.postImage("/v1/detect", []), 400, "empty_body")
        expectCode(try await s.postImage("/v1/embed", Array(biden.prefix(biden.count / 2))), 400, "invalid_image")
        expectCode(try await s.postImage("/v1/detect", Array(biden.prefix(300))), 400, "invalid_image")
        expectCode(try await s.postImage("/v1/detect", Array("just some text, not an image".utf8), type: "text/plain"), 415, "unsupported_media_type")
        expectCode(try await s.postImage("/v1/detect", biden, type: "application/json"), 415, "unsupported_media_type")
        expectCode(try await s.postImage("/v1/detect", Array("GIF89a not really".utf8)), 415, "unsupported_image_format")
        // A Content-Type of parameters only: ";" trapped the server (an empty split indexed [0]),
        // found by the HTTP fuzz target (its input is Fuzz/corpus/http/crash-content-type-parameters-only).
        expectCode(try await s.postImage("/v1/detect", biden, type: ";"), 415, "unsupported_media_type")
        expectCode(try await s.postImage("/v1/embed", biden, type: " ; charset=utf-8"), 415, "unsupported_media_type")
        expectCode(try await s.postImage("/v1/people/a/faces", biden, type: ";", token: token), 415, "unsupported_media_type")
        expectCode(try await s.postImage("/v1/detect", [UInt8](repeating: 0xFF, count: (4 << 20) + 1)), 413, "body_too_large")
        expectCode(try await s.postImage("/v1/detect", try Photos.jpegBomb), 413, "image_too_large")
        expectCode(try await s.postImage("/v1/embed", try Photos.jpegBomb), 413, "image_too_large")
        expectCode(try await s.postImage("/v1/detect", Photos.pngBomb, type: "image/png"), 413, "image_too_large")
        expectCode(try await s.postImage("/v1/detect?min-score=2", biden), 400, "invalid_option")
        expectCode(try await s.postImage("/v1/identify?top=zero", biden), 400, "invalid_option")

        // A body shorter than its Content-Length: the client gives up mid-body.
        let short = try? await s.send("POST", "/v1/detect", headers: [("Content-Type", "image/jpeg")], body: Array(biden.prefix(1000)),
                                      contentLength: biden.count, checksSchema: false)
        if let short { #expect((400..<500).contains(short.status), "\(short.status) \(short.text)") }

        // Malformed JSON and multipart.
        let json = [("Content-Type", "application/json")]
        expectCode(try await s.send("POST", "/v1/people/a/faces", headers: bearer + json, body: Array("{\"embeddings\": [[0.1, ".utf8)), 400, "malformed_json")
        expectCode(try await s.send("POST", "/v1/people/a/faces", headers: bearer + json, body: Array(#"{"embeddings": [[0.1, 0.2]]}"#.utf8)), 400, "invalid_argument")
        expectCode(try await s.send("POST", "/v1/people/a/faces", headers: bearer + json, body: Array(#"{"vectors": []}"#.utf8)), 400, "malformed_json")
        expectCode(try await s.send("PATCH", "/v1/people/a", headers: bearer + json, body: Array("not json".utf8)), 400, "malformed_json")
        var multipart = RawHTTP.multipart([("image", biden)])
        expectCode(try await s.send("POST", "/v1/detect", headers: [("Content-Type", multipart.contentType)], body: Array(multipart.body.dropLast(40))),
                   400, "malformed_multipart")
        expectCode(try await s.send("POST", "/v1/detect", headers: [("Content-Type", "multipart/form-data")], body: multipart.body), 400, "malformed_multipart")
        multipart = RawHTTP.multipart([("image", [])])
        expectCode(try await s.send("POST", "/v1/detect", headers: [("Content-Type", multipart.contentType)], body: multipart.body), 400, "empty_image")

        // Unknown people and names that try to leave the path.
        expectCode(try await s.send("DELETE", "/v1/people/nobody", headers: bearer), 404, "unknown_person")
        expectCode(try await s.send("PATCH", "/v1/people/nobody", headers: bearer + json, body: Array(#"{"name": "x"}"#.utf8)), 404, "unknown_person")
        expectCode(try await s.postImage("/v1/people/..%2F..%2Fetc%2Fpasswd/faces", biden, token: token), 400, "invalid_name")
        expectCode(try await s.send("DELETE", "/v1/people/%2E%2E", headers: bearer), 400, "invalid_name")
        expectCode(try await s.send("DELETE", "/v1/people/a%00b", headers: bearer), 400, "invalid_name")
        expectCode(try await s.send("PATCH", "/v1/people/nobody", headers: bearer + json, body: Array(#"{"name": "../x"}"#.utf8)), 400, "invalid_name")

        // Still serving, and nothing was enrolled.
        #expect(try await s.send("GET", "/health").status == 200)
        #expect(try await s.postImage("/v1/detect", biden).status == 200)
        #expect((try await s.send("GET", "/v1/people").object["people"] as? [Any])?.isEmpty == true)
        try await s.stop()
    }

    @Test("limits: pixel budget, concurrency (503 + Retry-After), deadline")
    func limits() async throws {
        let small = try await RunningServer.start { $0.pixelBudget = 1_000_000 }
        let over = try await small.postImage("/v1/detect", try Photos.biden)   // 1200×1200
        #expect(over.status == 413 && over.code == "image_too_large")
        try await small.stop()

        // One worker and no queue: with the worker busy, a request is refused at once.
        let busy = try await RunningServer.start { $0.inferenceWorkers = 1; $0.concurrencyLimit = 1 }
        let gate = Gate()
        let blocker = Task { try await busy.server.service.run { _ in gate.wait() } }
        while busy.server.service.inFlight < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let refused = try await busy.postImage("/v1/embed", try Photos.biden)
        #expect(refused.status == 503 && refused.code == "overloaded" && refused.headers["retry-after"] == "1", "\(refused.text)")
        gate.open()
        try await blocker.value
        #expect(try await busy.postImage("/v1/embed", try Photos.biden).status == 200)
        try await busy.stop()

        // A request that waits past its deadline is dropped before it runs.
        let late = try await RunningServer.start { $0.inferenceWorkers = 1; $0.concurrencyLimit = 2; $0.requestDeadline = .milliseconds(1) }
        let gate2 = Gate()
        let blocker2 = Task { try await late.server.service.run { _ in gate2.wait() } }
        while late.server.service.inFlight < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let waiting = Task { try await late.postImage("/v1/embed", try Photos.biden) }
        while late.server.service.queued < 1 { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(20))   // past the 1 ms deadline
        gate2.open()
        try await blocker2.value
        let dropped = try await waiting.value
        #expect(dropped.status == 503 && dropped.code == "deadline_exceeded", "\(dropped.text)")
        try await late.stop()
    }

    @Test("graceful shutdown: requests in flight finish, then the port closes")
    func shutdown() async throws {
        let s = try await RunningServer.start { $0.inferenceWorkers = 1; $0.concurrencyLimit = 3 }
        let gate = Gate()
        let blocker = Task { try await s.server.service.run { _ in gate.wait() } }
        while s.server.service.inFlight < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let inFlight = Task { try await s.postImage("/v1/embed", try Photos.biden) }
        let enrolling = Task { try await s.postImage("/v1/people/late/faces", try Photos.biden, token: token) }
        while s.server.service.queued < 2 { try await Task.sleep(for: .milliseconds(5)) }
        let stopping = Task { try await s.stop() }
        try await Task.sleep(for: .milliseconds(50))   // let the shutdown begin while the requests wait
        gate.open()
        try await blocker.value
        let answer = try await inFlight.value
        #expect(answer.status == 200 && (answer.object["faces"] as? [Any])?.count == 1, "\(answer.status) \(answer.text.prefix(200))")
        #expect(try await enrolling.value.status == 201)
        try await stopping.value
        #expect(throws: RawHTTPError.self) { _ = try RawHTTP.connectSocket(port: s.port) }
        #expect(try await FaceGallery(path: s.galleryPath, writable: false).people.map(\.identifier) == ["late"])
    }
}

extension ServerTests {
    @Test("a stalled upload: the connection is closed after the idle timeout, and does not hold shutdown")
    func stalledUpload() async throws {
        let s = try await RunningServer.start { $0.idleTimeout = .milliseconds(500) }
        // Headers and the first bytes of a 100,000-byte body, then nothing; the socket stays open.
        let fd = try RawHTTP.connectSocket(port: s.port)
        defer { close(fd) }
        let head = Array("POST /v1/detect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n".utf8)
        let bytes = head + Array(try Photos.biden.prefix(1000))
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        // The server closes the connection (a read returns end of file, after at most an
        // answer), on its own: no shutdown has been asked for yet.
        let closed = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            Thread {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n <= 0 { c.resume(returning: n == 0); return }
                }
            }.start()
        }
        #expect(closed)
        #expect(try await s.send("GET", "/health").status == 200)

        // Stalled again, then shut down: the stop returns (the idle timeout ends the upload).
        let fd2 = try RawHTTP.connectSocket(port: s.port)
        defer { close(fd2) }
        #expect(bytes.withUnsafeBytes { write(fd2, $0.baseAddress, $0.count) } == bytes.count)
        try await Task.sleep(for: .milliseconds(100))
        try await s.stop()
        #expect(throws: RawHTTPError.self) { _ = try RawHTTP.connectSocket(port: s.port) }
    }
}

/// A gate a worker thread waits at until a test opens it.
final class Gate: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func wait() { semaphore.wait() }
    func open() { semaphore.signal() }
}
