/// The 4-byte masking key that every client-to-server frame carries (RFC 6455 §5.3).
///
/// Masking and unmasking are the same operation: XOR each payload byte with key byte `index % 4`.
public struct WebSocketMaskingKey: Sendable, Hashable {
    /// The four key bytes in wire order.
    public var bytes: (UInt8, UInt8, UInt8, UInt8)

    /// Creates a key from four bytes in wire order.
    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        bytes = (b0, b1, b2, b3)
    }

    /// A key from the system's random source, as a client must use for each frame.
    public static func random() -> WebSocketMaskingKey {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt32
        return WebSocketMaskingKey(UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
                                   UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24))
    }

    /// Key byte for payload position `index`.
    @inlinable
    public subscript(index: Int) -> UInt8 {
        switch index & 3 {
        case 0: return bytes.0
        case 1: return bytes.1
        case 2: return bytes.2
        default: return bytes.3
        }
    }

    /// Masks (or unmasks) `buffer` in place, treating `buffer[0]` as payload position `offset`.
    ///
    /// `offset` lets a payload be unmasked piecewise as it arrives in arbitrary chunks.
    public func apply(to buffer: UnsafeMutableRawBufferPointer, offset: Int) {
        let k = (self[offset], self[offset + 1], self[offset + 2], self[offset + 3])
        let word = UInt32(k.0) | UInt32(k.1) << 8 | UInt32(k.2) << 16 | UInt32(k.3) << 24
        let wide = UInt64(word) | UInt64(word) << 32
        let count = buffer.count
        var i = 0
        // Word-at-a-time: the key pattern repeats every 4 bytes, so an 8-byte block XORs with `wide`
        // (little-endian load/store keeps byte order consistent with `k`).
        while i + 8 <= count {
            let v = buffer.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            buffer.storeBytes(of: v ^ wide.littleEndian, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < count {
            buffer[i] ^= self[offset + i]
            i += 1
        }
    }

    /// Masks (or unmasks) `bytes[range]` in place, treating its first byte as payload position `offset`.
    public func apply(to bytes: inout [UInt8], range: Range<Int>, offset: Int) {
        bytes.withUnsafeMutableBytes { raw in
            apply(to: UnsafeMutableRawBufferPointer(rebasing: raw[range]), offset: offset)
        }
    }

    public static func == (lhs: WebSocketMaskingKey, rhs: WebSocketMaskingKey) -> Bool {
        lhs.bytes == rhs.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.0); hasher.combine(bytes.1); hasher.combine(bytes.2); hasher.combine(bytes.3)
    }
}
