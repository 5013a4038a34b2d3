/// The 4-bit opcode of a WebSocket frame (RFC 6455 §5.2).
///
/// Only the six opcodes defined by RFC 6455 exist here: a frame carrying any other value is a protocol
/// error (`WebSocketError.unknownOpcode`, close code 1002), so it never becomes a `WebSocketOpcode`.
public enum WebSocketOpcode: UInt8, Sendable, Hashable {
    /// A continuation of a fragmented text or binary message.
    case continuation = 0x0
    /// The first (or only) frame of a UTF-8 text message.
    case text = 0x1
    /// The first (or only) frame of a binary message.
    case binary = 0x2
    /// Starts or answers the closing handshake.
    case close = 0x8
    /// Liveness probe; the peer answers with a pong carrying the same payload.
    case ping = 0x9
    /// Answer to a ping (or an unsolicited heartbeat).
    case pong = 0xA

    /// Control frames (close, ping, pong) have the high bit of the opcode set: they may be interleaved
    /// with the fragments of a message, carry at most 125 bytes and are never fragmented.
    @inlinable
    public var isControl: Bool { rawValue & 0x8 != 0 }
}
