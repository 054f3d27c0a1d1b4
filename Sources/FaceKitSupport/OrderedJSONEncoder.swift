// An Encoder that keeps keys in the order a type encodes them (Foundation's JSONEncoder sorts
// or scrambles them), so the command line prints its Codable reports in the documented order
// through the same writer as before (`{"image": …, "faces": […]}`).
import Foundation

/// One line of JSON for `value`, keys in encoding order.
package func jsonLine<T: Encodable>(encoding value: T) throws -> String {
    let root = EncodedNode()
    try value.encode(to: NodeEncoder(node: root, codingPath: []))
    return jsonLineValue(root.value)
}

/// `value` as the writer's tree: a JSONObject (keys in encoding order), an array or a scalar.
package func encodedJSONValue<T: Encodable>(_ value: T) throws -> Any {
    let root = EncodedNode()
    try value.encode(to: NodeEncoder(node: root, codingPath: []))
    return root.value
}

/// `value` (a JSONObject, array or scalar) as one line of JSON.
package func jsonLineValue(_ value: Any) -> String {
    var out = ""
    writeJSON(value, to: &out)
    return out
}

/// The value under construction at one place in the tree.
final class EncodedNode {
    enum Kind { case empty, scalar(Any), object([(String, EncodedNode)]), array([EncodedNode]) }
    var kind: Kind = .empty

    var value: Any {
        switch kind {
        case .empty: return JSONObject()
        case let .scalar(v): return v
        case let .object(pairs): return JSONObject(pairs.map { ($0.0, $0.1.value) })
        case let .array(items): return items.map(\.value)
        }
    }

    func child(for key: String) -> EncodedNode {
        let node = EncodedNode()
        if case var .object(pairs) = kind {
            if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = node } else { pairs.append((key, node)) }
            kind = .object(pairs)
        } else {
            kind = .object([(key, node)])
        }
        return node
    }

    func appended() -> EncodedNode {
        let node = EncodedNode()
        if case var .array(items) = kind { items.append(node); kind = .array(items) } else { kind = .array([node]) }
        return node
    }

    /// Stores a value: scalars directly, anything else through its own `encode(to:)`.
    func store<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
        switch value {
        case let v as String: kind = .scalar(v)
        case let v as Bool: kind = .scalar(v)
        case let v as Int: kind = .scalar(v)
        case let v as Double: kind = .scalar(v)
        case let v as Float: kind = .scalar(v)
        case let v as any BinaryInteger: kind = .scalar(Int(v))
        default: try value.encode(to: NodeEncoder(node: self, codingPath: codingPath))
        }
    }
}

struct NodeEncoder: Encoder {
    let node: EncodedNode
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.kind {} else { node.kind = .object([]) }
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.kind {} else { node.kind = .array([]) }
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleNodeContainer(node: node, codingPath: codingPath) }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodedNode
    var codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.child(for: key.stringValue).kind = .scalar(NSNull()) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try node.child(for: key.stringValue).store(value, codingPath: codingPath + [key])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.child(for: key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.child(for: key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.child(for: "super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { NodeEncoder(node: node.child(for: key.stringValue), codingPath: codingPath + [key]) }
}

struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: EncodedNode
    var codingPath: [any CodingKey]
    var count: Int { if case let .array(items) = node.kind { return items.count }; return 0 }

    mutating func encodeNil() throws { node.appended().kind = .scalar(NSNull()) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.appended().store(value, codingPath: codingPath) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.appended(), codingPath: codingPath).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.appended(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.appended(), codingPath: codingPath) }
}

struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: EncodedNode
    var codingPath: [any CodingKey]
    mutating func encodeNil() throws { node.kind = .scalar(NSNull()) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.store(value, codingPath: codingPath) }
}
