/// One WebSocket frame (RFC 6455 §5.2) with its payload already unmasked.
///
/// Frames are the unit of the wire format; applications deal in messages (`WebSocketMessage`), which
/// `WebSocketMessageAssembler` builds from one or more data frames.
public struct WebSocketFrame: Sendable, Equatable {
    /// Whether this is the final fragment of a message (always true for control frames).
    public var fin: Bool
    /// The three reserved bits RSV1–RSV3 as a value 0...7 (RSV1 is 4). Non-zero only with an extension,
    /// and SketchFace negotiates none.
    public var reservedBits: UInt8
    /// What the frame carries.
    public var opcode: WebSocketOpcode
    /// The key the frame was (or is to be) masked with; `nil` for an unmasked frame.
    public var maskingKey: WebSocketMaskingKey?
    /// The application data, unmasked.
    public var payload: [UInt8]

    /// Creates a frame; by default final, without reserved bits and unmasked (what a server sends).
    public init(fin: Bool = true, reservedBits: UInt8 = 0, opcode: WebSocketOpcode,
                maskingKey: WebSocketMaskingKey? = nil, payload: [UInt8] = []) {
        self.fin = fin
        self.reservedBits = reservedBits
        self.opcode = opcode
        self.maskingKey = maskingKey
        self.payload = payload
    }
}
