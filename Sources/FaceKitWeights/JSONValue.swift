// A JSON value, for the free-form parts of model.json (node attributes).

/// Any JSON value.
package enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    package init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .number(n): try c.encode(n)
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }

    /// The member `key` of an object.
    package subscript(key: String) -> JSONValue? {
        if case let .object(o) = self { return o[key] }
        return nil
    }

    package var stringValue: String? { if case let .string(s) = self { return s }; return nil }
    package var arrayValue: [JSONValue]? { if case let .array(a) = self { return a }; return nil }
    /// A number, or a string holding an integer (TF's int64 fields are strings in JSON).
    package var intValue: Int? {
        switch self {
        case let .number(n): return Int(exactly: n)
        case let .string(s): return Int(s)
        default: return nil
        }
    }
}
