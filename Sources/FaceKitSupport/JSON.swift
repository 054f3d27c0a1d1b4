// The one JSON writer of the command line tool and the benchmarks: objects keep their keys
// in the order written, strings are escaped, non-finite numbers become null.
import Foundation

/// One JSON object, on one line.
package func jsonLine(_ object: JSONObject) -> String {
    var out = ""
    writeJSON(object, to: &out)
    return out
}

/// A JSON object that keeps its keys in the order written, so output follows the documented
/// shape (`{"image": …, "faces": […]}`).
package struct JSONObject: ExpressibleByDictionaryLiteral {
    package private(set) var pairs: [(key: String, value: Any)]

    package init(dictionaryLiteral elements: (String, Any)...) { pairs = elements.map { (key: $0.0, value: $0.1) } }

    /// An object with `fields` in this order.
    package init(_ fields: [(String, Any)]) { pairs = fields.map { (key: $0.0, value: $0.1) } }

    /// Replaces the value of an existing key in place, or appends a new key.
    package subscript(key: String) -> Any? {
        get { pairs.first { $0.key == key }?.value }
        set {
            let value = newValue ?? NSNull()
            if let i = pairs.firstIndex(where: { $0.key == key }) { pairs[i].value = value } else { pairs.append((key: key, value: value)) }
        }
    }
}

/// Serialises the values the commands print: objects (ordered, or dictionaries with sorted
/// keys), arrays, strings, booleans, integers and floating-point numbers (non-finite ones as
/// null, which JSON has no number for), and NSNull.
package func writeJSON(_ value: Any, to out: inout String) {
    switch value {
    case let o as JSONObject:
        out += "{"
        for (i, pair) in o.pairs.enumerated() {
            if i > 0 { out += ", " }
            writeJSONString(pair.key, to: &out); out += ": "
            writeJSON(pair.value, to: &out)
        }
        out += "}"
    case let d as [String: Any]:
        var o = JSONObject()
        for key in d.keys.sorted() { o[key] = d[key] }
        writeJSON(o, to: &out)
    case let s as String: writeJSONString(s, to: &out)
    case let b as Bool: out += b ? "true" : "false"
    case let n as Int: out += String(n)
    case let x as Double: out += x.isFinite ? "\(x)" : "null"
    case let x as Float: out += x.isFinite ? "\(x)" : "null"
    case let a as [Any]:
        out += "["
        for (i, element) in a.enumerated() {
            if i > 0 { out += ", " }
            writeJSON(element, to: &out)
        }
        out += "]"
    case is NSNull: out += "null"
    default: writeJSONString("\(value)", to: &out)
    }
}

private func writeJSONString(_ s: String, to out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    out += "\""
}
