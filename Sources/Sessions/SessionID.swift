/// An unguessable session identifier: 128 bits from the system CSPRNG, base64url without padding (22 characters).
///
/// The id is the capability: whoever has the link can join, as in Excalidraw rooms.
public struct SessionID: Hashable, Sendable, CustomStringConvertible {
    /// The 22-character URL-safe text form.
    public let text: String

    /// Parses a path segment; nil unless it is exactly 22 base64url characters.
    public init?(_ text: String) {
        guard text.utf8.count == 22, text.utf8.allSatisfy(SessionID.isURLSafe) else { return nil }
        self.text = text
    }

    /// A fresh random id.
    public static func random() -> SessionID {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        for _ in 0..<2 {
            var word = generator.next() as UInt64
            for _ in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word)); word >>= 8 }
        }
        return SessionID(unchecked: base64URL(bytes))
    }

    private init(unchecked text: String) { self.text = text }

    public var description: String { text }

    /// What logs show instead of the id, which is a capability: 8 hex digits of a hash (FNV-1a, 32 bits), enough
    /// to tell sessions apart in a log and useless for joining one.
    public var logName: String {
        var hash: UInt32 = 2166136261
        for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 16777619 }
        let hex = String(hash, radix: 16)
        return "s-" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    static func isURLSafe(_ c: UInt8) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 95
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out = [UInt8]()
        var i = 0
        while i < bytes.count {
            let b0 = Int(bytes[i]), b1 = i + 1 < bytes.count ? Int(bytes[i + 1]) : 0, b2 = i + 2 < bytes.count ? Int(bytes[i + 2]) : 0
            let n = (b0 << 16) | (b1 << 8) | b2
            out.append(alphabet[(n >> 18) & 63]); out.append(alphabet[(n >> 12) & 63])
            if i + 1 < bytes.count { out.append(alphabet[(n >> 6) & 63]) }
            if i + 2 < bytes.count { out.append(alphabet[n & 63]) }
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
