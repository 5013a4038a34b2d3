/// The body of a close frame (RFC 6455 §5.5.1): nothing, or a 2-byte code followed by a UTF-8 reason.
public struct WebSocketClosePayload: Sendable, Equatable {
    /// The close code, or `nil` when the frame was empty (reported as 1005 by the connection).
    public var code: WebSocketCloseCode?
    /// The reason text (empty when absent).
    public var reason: String

    /// Largest reason in bytes that fits a control frame next to the code (125 − 2).
    public static let maxReasonLength = 123

    /// Creates a payload; a `nil` code means an empty close frame (and then `reason` is ignored).
    public init(code: WebSocketCloseCode?, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    /// Parses a received close payload: empty, or a valid code plus a UTF-8 reason.
    ///
    /// A 1-byte payload or a code that may not be sent is `.closePayloadTooShort` /
    /// `.invalidCloseCode` (1002); a reason that is not UTF-8 is `.invalidUTF8` (1007).
    public static func parse(_ payload: [UInt8]) throws(WebSocketError) -> WebSocketClosePayload {
        if payload.isEmpty { return WebSocketClosePayload(code: nil) }
        guard payload.count >= 2 else { throw .closePayloadTooShort }
        let code = WebSocketCloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1]))
        guard code.isValidInCloseFrame else { throw .invalidCloseCode(code.rawValue) }
        let reasonBytes = payload[2...]
        var validator = UTF8Validator()
        guard validator.validate(reasonBytes), validator.isComplete else { throw .invalidUTF8 }
        return WebSocketClosePayload(code: code, reason: String(decoding: reasonBytes, as: UTF8.self))
    }

    /// The wire form: empty without a code, else the code and the reason cut to at most 123 bytes on a
    /// character boundary.
    public var encoded: [UInt8] {
        guard let code else { return [] }
        var bytes: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        var used = 0
        for scalar in reason.unicodeScalars {
            let width = UTF8.width(scalar)
            if used + width > Self.maxReasonLength { break }
            used += width
            UTF8.encode(scalar) { bytes.append($0) }
        }
        return bytes
    }
}
