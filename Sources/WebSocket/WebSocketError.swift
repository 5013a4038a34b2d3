/// Every way a peer can break RFC 6455, as seen by the pure codecs.
///
/// Each case maps to exactly one close code in `closeCode` — the only place where that decision is made.
public enum WebSocketError: Error, Sendable, Equatable {
    /// A client frame arrived without a masking key (RFC 6455 §5.1).
    case unmaskedClientFrame
    /// A server frame arrived with a masking key (client-side decoding only).
    case maskedServerFrame
    /// RSV1–RSV3 set although no extension was negotiated.
    case reservedBitsSet
    /// An opcode RFC 6455 does not define (3–7, 0xB–0xF).
    case unknownOpcode(UInt8)
    /// A control frame with a payload longer than 125 bytes.
    case controlFrameTooLong
    /// A control frame without FIN.
    case fragmentedControlFrame
    /// A 64-bit payload length with its most significant bit set.
    case invalidPayloadLength
    /// A message (declared frame length, or fragments together) larger than the configured limit.
    case messageTooBig
    /// A continuation frame with no fragmented message in progress.
    case continuationWithoutStart
    /// A new text/binary frame while a fragmented message was still in progress.
    case dataFrameDuringFragmentedMessage
    /// A text message (or close reason) that is not valid UTF-8.
    case invalidUTF8
    /// A close frame with a 1-byte payload (a code needs two).
    case closePayloadTooShort
    /// A close frame whose code may not be sent (see `WebSocketCloseCode.isValidInCloseFrame`).
    case invalidCloseCode(UInt16)

    /// The close code the server sends when failing the connection for this error.
    public var closeCode: WebSocketCloseCode {
        switch self {
        case .unmaskedClientFrame, .maskedServerFrame, .reservedBitsSet, .unknownOpcode, .controlFrameTooLong,
             .fragmentedControlFrame, .invalidPayloadLength, .continuationWithoutStart,
             .dataFrameDuringFragmentedMessage, .closePayloadTooShort, .invalidCloseCode:
            return .protocolError
        case .invalidUTF8:
            return .invalidFramePayloadData
        case .messageTooBig:
            return .messageTooBig
        }
    }
}
