/// Typed access to a JSON object decoded by `JSONSerialization`, with the JSON path in every error.
struct JSONFields {
    let object: [String: Any]
    let path: String

    init(_ value: Any, path: String) throws {
        guard let object = value as? [String: Any] else { throw ManifestError.invalid(path: path, reason: "expected an object") }
        self.object = object
        self.path = path
    }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNullLike) }

    private func required(_ key: String) throws -> Any {
        guard let v = object[key], !(v is NSNullLike) else { throw ManifestError.missing(path: "\(path).\(key)") }
        return v
    }

    func string(_ key: String) throws -> String {
        guard let s = try required(key) as? String else { throw ManifestError.invalid(path: "\(path).\(key)", reason: "expected a string") }
        return s
    }

    func optionalString(_ key: String) throws -> String? {
        guard has(key) else { return nil }
        return try string(key)
    }

    func int(_ key: String, minimum: Int = Int.min) throws -> Int {
        guard let v = jsonInteger(try required(key)) else { throw ManifestError.invalid(path: "\(path).\(key)", reason: "expected an integer") }
        guard v >= minimum else { throw ManifestError.invalid(path: "\(path).\(key)", reason: "\(v) is below the minimum \(minimum)") }
        return v
    }

    func positiveInt(_ key: String) throws -> Int { try int(key, minimum: 1) }

    func optionalInt(_ key: String, minimum: Int) throws -> Int? {
        guard has(key) else { return nil }
        return try int(key, minimum: minimum)
    }

    func double(_ key: String) throws -> Double {
        guard let v = jsonDouble(try required(key)), v.isFinite else { throw ManifestError.invalid(path: "\(path).\(key)", reason: "expected a number") }
        return v
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard has(key) else { return nil }
        return try double(key)
    }

    func array(_ key: String) throws -> [Any] {
        guard let a = try required(key) as? [Any] else { throw ManifestError.invalid(path: "\(path).\(key)", reason: "expected an array") }
        return a
    }

    func intArray(_ key: String, minimum: Int = Int.min) throws -> [Int] {
        try array(key).enumerated().map { i, v in
            guard let n = jsonInteger(v), n >= minimum else { throw ManifestError.invalid(path: "\(path).\(key)[\(i)]", reason: "expected an integer ≥ \(minimum)") }
            return n
        }
    }

    func fields(_ key: String) throws -> JSONFields { try JSONFields(try required(key), path: "\(path).\(key)") }
}

import Foundation
typealias NSNullLike = NSNull
