// A strict multipart/form-data reader (RFC 7578): the parts of a body already held in memory
import Foundation

enum Multipart {
    struct Part {
        var name: String?
        var filename: String?
        var contentType: String?
        var body: [UInt8]
    }

    /// The boundary parameter of a multipart Content-Type, or nil.
    static func boundary(of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    static func malformed(_ detail: String) -> APIError {
        APIError(.badRequest, "malformed_multipart", "the multipart/form-data body is malformed: \(detail)")
    }

    /// The parts of `body`, in order.
    static func parts(of body: [UInt8], boundary: String) throws -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        guard var position = find(delimiter, in: body, from: 0) else { throw malformed("no boundary line") }
        var parts: [Part] = []
        while true {
            position += delimiter.count
            // "--" after a delimiter ends the body.
            if position + 2 <= body.count && body[position] == 45 && body[position + 1] == 45 { return parts }
            guard position + 2 <= body.count, body[position] == 13, body[position + 1] == 10 else {
                throw malformed("a boundary line is not followed by CRLF (truncated body?)")
            }
            position += 2
            guard let headerEnd = find([13, 10, 13, 10], in: body, from: position) else { throw malformed("a part has no end of headers") }
            let headerText = String(decoding: body[position..<headerEnd], as: UTF8.self)
            var part = Part(body: [])
            for line in headerText.split(separator: "\r\n") {
                let pair = line.split(separator: ":", maxSplits: 1)
                guard pair.count == 2 else { throw malformed("a part header has no colon") }
                let field = pair[0].trimmingCharacters(in: .whitespaces).lowercased()
                let value = pair[1].trimmingCharacters(in: .whitespaces)
                if field == "content-disposition" {
                    for p in value.split(separator: ";").dropFirst() {
                        let kv = p.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                        guard kv.count == 2 else { continue }
                        var v = kv[1]
                        if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
                        if kv[0].lowercased() == "name" { part.name = v }
                        if kv[0].lowercased() == "filename" { part.filename = v }
                    }
                } else if field == "content-type" {
                    part.contentType = value
                }
            }
            let start = headerEnd + 4
            guard let next = find([13, 10] + delimiter, in: body, from: start) else { throw malformed("a part has no closing boundary (truncated body?)") }
            part.body = Array(body[start..<next])
            parts.append(part)
            guard parts.count <= 64 else { throw malformed("more than 64 parts") }
            position = next + 2
        }
    }

    /// The first index of `needle` in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var i = from
        let last = haystack.count - needle.count
        return haystack.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                while i <= last {
                    if h[i] == first {
                        var j = 1
                        while j < n.count && h[i + j] == n[j] { j += 1 }
                        if j == n.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }
}
