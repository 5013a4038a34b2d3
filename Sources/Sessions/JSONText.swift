import Foundation

/// A small JSON text builder with a fixed key order, so the same operation always encodes to the same bytes.
struct JSONText {
    private(set) var text = "{"
    private var first = true

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        text += "\""; text += name; text += "\":"
    }

    mutating func add(_ name: String, _ value: Int) { key(name); text += String(value) }
    mutating func add(_ name: String, _ value: Bool) { key(name); text += value ? "true" : "false" }
    mutating func add(_ name: String, _ value: Double) { key(name); text += JSONText.number(value) }
    mutating func add(_ name: String, _ value: String) { key(name); text += JSONText.quote(value) }
    /// Adds already-encoded JSON (an object or array).
    mutating func add(_ name: String, raw: String) { key(name); text += raw }

    /// Closes the object and returns its text.
    func finished() -> String { text + "}" }

    /// Shortest round-tripping form; integral values without a fraction.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }

    /// A JSON string literal.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}

/// Typed, path-aware access to a decoded JSON object: every failure names the field (`points[3].x`).
struct JSONFields {
    let object: [String: Any]
    let path: String

    init(_ object: [String: Any], path: String = "") {
        self.object = object
        self.path = path
    }

    /// Parses one text message into an object, or throws `.malformedJSON` / `.notAnObject`.
    static func parse(_ text: String) throws -> JSONFields {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [])
        } catch {
            throw ProtocolError.malformedJSON
        }
        guard let object = value as? [String: Any] else { throw ProtocolError.notAnObject }
        return JSONFields(object)
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    /// A string of at most `maxLength` Unicode scalars and `maxBytes` UTF-8 bytes (4 per scalar unless told):
    /// lengths are never counted in grapheme clusters, which have no bound on their size.
    func string(_ key: String, maxLength: Int = 256, maxBytes: Int? = nil) throws -> String {
        guard let value = object[key] else { throw ProtocolError.missingField(name(key)) }
        guard let s = value as? String else { throw ProtocolError.invalidField(name(key), "must be a string") }
        let bytes = maxBytes ?? 4 * maxLength
        if s.utf8.count > bytes || s.unicodeScalars.count > maxLength {
            throw ProtocolError.invalidField(name(key), "longer than \(maxLength) characters or \(bytes) bytes")
        }
        return s
    }

    /// True for scalars no display string may hold: C0 and C1 controls, DEL, bidirectional embeddings,
    /// overrides, isolates and marks, the byte order mark, and line/paragraph separators.
    static func isForbiddenInText(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        case 0xFEFF, 0x2028, 0x2029: return true
        default: return false
        }
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws -> Double {
        guard let value = object[key] else { throw ProtocolError.missingField(name(key)) }
        guard let n = JSONFields.numeric(value) else { throw ProtocolError.invalidField(name(key), "must be a number") }
        guard n.isFinite else { throw ProtocolError.invalidField(name(key), "must be finite") }
        guard range.contains(n) else {
            throw ProtocolError.invalidField(name(key), "out of range \(JSONText.number(range.lowerBound))...\(JSONText.number(range.upperBound))")
        }
        return n
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int {
        let n = try number(key, in: Double(range.lowerBound)...Double(range.upperBound))
        guard n == n.rounded() else { throw ProtocolError.invalidField(name(key), "must be an integer") }
        return Int(n)
    }

    func optionalInteger(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        has(key) ? try integer(key, in: range) : nil
    }

    func array(_ key: String) throws -> [Any] {
        guard let value = object[key] else { throw ProtocolError.missingField(name(key)) }
        guard let a = value as? [Any] else { throw ProtocolError.invalidField(name(key), "must be an array") }
        return a
    }

    func child(_ key: String) throws -> JSONFields {
        guard let value = object[key] else { throw ProtocolError.missingField(name(key)) }
        guard let o = value as? [String: Any] else { throw ProtocolError.invalidField(name(key), "must be an object") }
        return JSONFields(o, path: name(key))
    }

    /// Numbers only: JSON booleans also arrive as NSNumber (objCType "c") and are refused.
    static func numeric(_ value: Any) -> Double? {
        guard let n = value as? NSNumber else { return nil }
        if n.objCType.pointee == 99 { return nil }
        return n.doubleValue
    }
}
