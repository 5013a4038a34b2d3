/// Incremental, fail-fast UTF-8 validator (Unicode 15 §3.9, Table 3-7).
///
/// Fed a message in pieces of any size (fragments, or partial frames as they arrive), it reports the
/// first invalid byte immediately — an overlong form, a surrogate (U+D800–DFFF), a code point above
/// U+10FFFF, a stray continuation byte — rather than waiting for the message to end. A sequence cut at
/// the end of one piece continues into the next; `isComplete` tells whether the text so far ends on a
/// character boundary (an incomplete sequence at message end is invalid).
public struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the current sequence (0 at a character boundary).
    var needed: UInt8 = 0
    /// Allowed range of the next continuation byte; narrower than 0x80...0xBF only right after
    /// E0, ED, F0 and F4, which is how overlongs, surrogates and out-of-range code points are refused.
    var lower: UInt8 = 0x80
    var upper: UInt8 = 0xBF
    /// Latched once an invalid byte was seen.
    public private(set) var hasFailed = false

    /// Creates a validator at a character boundary.
    public init() {}

    /// Whether everything fed so far is valid and ends on a character boundary.
    public var isComplete: Bool { !hasFailed && needed == 0 }

    /// Returns the validator to its initial state for a new message.
    public mutating func reset() {
        needed = 0
        lower = 0x80
        upper = 0xBF
        hasFailed = false
    }

    /// Feeds `bytes`; returns `false` as soon as the text so far cannot be valid UTF-8.
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if hasFailed { return false }
        let count = bytes.count
        var i = 0
        while i < count {
            if needed == 0 {
                // ASCII fast path, eight bytes at a time.
                while i + 8 <= count && bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    i += 8
                }
                if i == count { break }
                let byte = bytes[i]
                i += 1
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: needed = 1
                case 0xE0: needed = 2; lower = 0xA0
                case 0xE1...0xEC, 0xEE, 0xEF: needed = 2
                case 0xED: needed = 2; upper = 0x9F
                case 0xF0: needed = 3; lower = 0x90
                case 0xF1...0xF3: needed = 3
                case 0xF4: needed = 3; upper = 0x8F
                default:
                    hasFailed = true
                    return false
                }
            } else {
                let byte = bytes[i]
                i += 1
                guard byte >= lower && byte <= upper else {
                    hasFailed = true
                    return false
                }
                lower = 0x80
                upper = 0xBF
                needed -= 1
            }
        }
        return true
    }

    /// Feeds `bytes`; returns `false` as soon as the text so far cannot be valid UTF-8.
    public mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }

    /// Feeds `bytes`; returns `false` as soon as the text so far cannot be valid UTF-8.
    public mutating func validate(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }

    /// Whether `bytes` on its own is a complete, valid UTF-8 string.
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isComplete
    }
}
