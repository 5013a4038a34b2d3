/// Incremental RFC 6455 frame decoder: fed arbitrary byte chunks, it yields whole frames.
///
/// The decoder is an explicit state machine over the frame header (first byte, length byte, extended
/// length, masking key) followed by the payload. Every header rule is checked as soon as the byte that
/// breaks it arrives, so a hostile peer is refused before anything is buffered:
/// RSV bits, unknown opcodes and fragmented control frames on the first byte; the mask bit and
/// over-long control frames on the second; a 64-bit length with its top bit set, or a data frame
/// longer than `maxPayloadLength`, as soon as the length is known.
///
/// The decoder reads from the caller's buffer and reports how far it got, so bytes after a frame stay
/// with the caller. After an error it stays failed and rethrows that error.
///
/// ```swift
/// var offset = 0
/// while let frame = try decoder.decodeNext(chunk, consumed: &offset) { handle(frame) }
/// ```
public struct WebSocketFrameDecoder: Sendable {
    /// What the decoder is waiting for next.
    enum State: Sendable {
        case awaitingFirstByte
        case awaitingLengthByte(Header)
        case awaitingExtendedLength(Header, bytesLeft: Int, value: UInt64)
        case awaitingMaskingKey(Header, length: Int, bytesLeft: Int, key: UInt32)
        case awaitingPayload(Header, length: Int, key: WebSocketMaskingKey?)
        case failed(WebSocketError)
    }

    /// The parts of the header known after the first byte (plus the mask bit from the second).
    struct Header: Sendable {
        var fin: Bool
        var reservedBits: UInt8
        var opcode: WebSocketOpcode
        var masked: Bool = false
    }

    /// The most payload bytes a data frame may declare; longer frames fail with `.messageTooBig`
    /// without being buffered. The connection lowers this while a fragmented message is in progress.
    public var maxPayloadLength: Int
    /// Which side's frames this decodes: a server requires masked frames, a client unmasked ones.
    public let role: WebSocketRole
    var state: State = .awaitingFirstByte
    /// Payload of the frame being received (already unmasked). Kept outside `state` so appending to it
    /// never copies.
    var payload: [UInt8] = []

    /// Creates a decoder for `role` refusing data frames longer than `maxPayloadLength` bytes.
    public init(role: WebSocketRole = .server, maxPayloadLength: Int = 1 << 20) {
        self.role = role
        self.maxPayloadLength = maxPayloadLength
    }

    /// The opcode of the frame whose payload is being received, if the decoder is inside a payload.
    public var opcodeOfFrameInProgress: WebSocketOpcode? {
        if case .awaitingPayload(let header, _, _) = state { return header.opcode }
        return nil
    }

    /// The payload bytes (unmasked) received so far for the frame in progress; lets a caller validate
    /// text incrementally before the frame is complete.
    public var partialPayload: [UInt8] { payload }

    /// Whether the decoder sits exactly between frames (no partial frame buffered).
    public var isAtFrameBoundary: Bool {
        if case .awaitingFirstByte = state { return true }
        return false
    }

    /// Decodes at most one frame from `input[consumed...]`, advancing `consumed` past the bytes used.
    ///
    /// Returns `nil` when the input ran out before a frame completed (call again with more bytes; what
    /// was read is remembered). Throws the first protocol violation; the decoder then stays failed.
    public mutating func decodeNext(_ input: UnsafeRawBufferPointer, consumed: inout Int) throws(WebSocketError) -> WebSocketFrame? {
        if case .failed(let error) = state { throw error }
        var i = consumed
        defer { consumed = i }
        let end = input.count
        while i < end {
            switch state {
            case .awaitingFirstByte:
                let byte = input[i]
                i += 1
                let reserved = (byte >> 4) & 0x7
                guard reserved == 0 else { throw fail(.reservedBitsSet) }
                guard let opcode = WebSocketOpcode(rawValue: byte & 0x0F) else {
                    throw fail(.unknownOpcode(byte & 0x0F))
                }
                let fin = byte & 0x80 != 0
                if opcode.isControl && !fin { throw fail(.fragmentedControlFrame) }
                state = .awaitingLengthByte(Header(fin: fin, reservedBits: reserved, opcode: opcode))

            case .awaitingLengthByte(var header):
                let byte = input[i]
                i += 1
                header.masked = byte & 0x80 != 0
                switch (role, header.masked) {
                case (.server, false): throw fail(.unmaskedClientFrame)
                case (.client, true): throw fail(.maskedServerFrame)
                default: break
                }
                let length7 = Int(byte & 0x7F)
                if length7 == 126 {
                    if header.opcode.isControl { throw fail(.controlFrameTooLong) }
                    state = .awaitingExtendedLength(header, bytesLeft: 2, value: 0)
                } else if length7 == 127 {
                    if header.opcode.isControl { throw fail(.controlFrameTooLong) }
                    state = .awaitingExtendedLength(header, bytesLeft: 8, value: 0)
                } else if let frame = try lengthKnown(header, length: UInt64(length7)) {
                    return frame
                }

            case .awaitingExtendedLength(let header, let bytesLeft, let value):
                let next = value << 8 | UInt64(input[i])
                i += 1
                // The most significant bit of an 8-byte length must be 0; check on the first byte.
                if bytesLeft == 8 && next & 0x80 != 0 { throw fail(.invalidPayloadLength) }
                if bytesLeft > 1 {
                    state = .awaitingExtendedLength(header, bytesLeft: bytesLeft - 1, value: next)
                } else if let frame = try lengthKnown(header, length: next) {
                    return frame
                }

            case .awaitingMaskingKey(let header, let length, let bytesLeft, let key):
                let next = key << 8 | UInt32(input[i])
                i += 1
                if bytesLeft > 1 {
                    state = .awaitingMaskingKey(header, length: length, bytesLeft: bytesLeft - 1, key: next)
                } else {
                    let maskingKey = WebSocketMaskingKey(UInt8(truncatingIfNeeded: next >> 24), UInt8(truncatingIfNeeded: next >> 16),
                                                         UInt8(truncatingIfNeeded: next >> 8), UInt8(truncatingIfNeeded: next))
                    if length == 0 { return finishFrame(header, key: maskingKey) }
                    startPayload(header, length: length, key: maskingKey)
                }

            case .awaitingPayload(let header, let length, let key):
                let have = payload.count
                let take = min(length - have, end - i)
                payload.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[i ..< i + take]))
                i += take
                if let key {
                    payload.withUnsafeMutableBytes { raw in
                        key.apply(to: UnsafeMutableRawBufferPointer(rebasing: raw[have ..< have + take]), offset: have)
                    }
                }
                if payload.count == length { return finishFrame(header, key: key) }

            case .failed(let error):
                throw error
            }
        }
        return nil
    }

    /// Convenience over `decodeNext(_:consumed:)` for byte arrays.
    public mutating func decodeNext(_ input: [UInt8], consumed: inout Int) throws(WebSocketError) -> WebSocketFrame? {
        do {
            return try input.withUnsafeBytes { raw in try decodeNext(raw, consumed: &consumed) }
        } catch let error as WebSocketError {
            throw error
        } catch {
            preconditionFailure("decodeNext throws only WebSocketError")
        }
    }

    /// Decodes every complete frame in `input`; a trailing partial frame stays buffered.
    public mutating func decodeAll(_ input: [UInt8]) throws(WebSocketError) -> [WebSocketFrame] {
        var frames: [WebSocketFrame] = []
        var offset = 0
        while let frame = try decodeNext(input, consumed: &offset) { frames.append(frame) }
        return frames
    }

    private mutating func lengthKnown(_ header: Header, length: UInt64) throws(WebSocketError) -> WebSocketFrame? {
        if header.opcode.isControl {
            if length > 125 { throw fail(.controlFrameTooLong) }
        } else if length > UInt64(max(0, maxPayloadLength)) {
            throw fail(.messageTooBig)
        }
        let length = Int(length)
        if header.masked {
            state = .awaitingMaskingKey(header, length: length, bytesLeft: 4, key: 0)
            return nil
        }
        if length == 0 { return finishFrame(header, key: nil) }
        startPayload(header, length: length, key: nil)
        return nil
    }

    private mutating func startPayload(_ header: Header, length: Int, key: WebSocketMaskingKey?) {
        // Reserve only what is likely to arrive soon: a peer declaring 1 MiB and sending nothing must
        // not pin 1 MiB per connection.
        payload.reserveCapacity(min(length, 64 * 1024))
        state = .awaitingPayload(header, length: length, key: key)
    }

    private mutating func finishFrame(_ header: Header, key: WebSocketMaskingKey?) -> WebSocketFrame {
        let frame = WebSocketFrame(fin: header.fin, reservedBits: header.reservedBits, opcode: header.opcode,
                                   maskingKey: key, payload: payload)
        payload = []
        state = .awaitingFirstByte
        return frame
    }

    private mutating func fail(_ error: WebSocketError) -> WebSocketError {
        state = .failed(error)
        payload = []
        return error
    }
}
