/// Joins data frames into messages (RFC 6455 §5.4) and validates text as it goes.
///
/// Rules enforced: a continuation frame needs a fragmented message in progress (else
/// `.continuationWithoutStart`); a text/binary frame may not start while one is in progress
/// (`.dataFrameDuringFragmentedMessage`); the message may not exceed `maxMessageLength`
/// (`.messageTooBig`); text must be UTF-8, checked incrementally so an invalid byte fails the message
/// at once, and an incomplete sequence at the end of the message fails it too (`.invalidUTF8`).
///
/// Control frames are not the assembler's business: they may arrive between fragments and the
/// connection handles them without touching the message in progress.
public struct WebSocketMessageAssembler: Sendable {
    /// What is being assembled.
    enum State: Sendable {
        case idle
        case assembling(isText: Bool)
    }

    /// The largest message, in bytes, that will be assembled.
    public var maxMessageLength: Int
    var state: State = .idle
    /// Fragments received so far (kept outside `state` so appending never copies).
    var buffer: [UInt8] = []
    var validator = UTF8Validator()
    /// How many payload bytes of the frame currently arriving were already validated by
    /// `inspectPartialFrame`, so they are not validated twice.
    var validatedInFrame = 0

    /// Creates an assembler refusing messages longer than `maxMessageLength` bytes (default 1 MiB).
    public init(maxMessageLength: Int = 1 << 20) {
        self.maxMessageLength = maxMessageLength
    }

    /// Whether a fragmented message is in progress.
    public var isAssembling: Bool {
        if case .assembling = state { return true }
        return false
    }

    /// Bytes the next data frame may carry without exceeding the message limit. Feed this to the frame
    /// decoder so over-long frames are refused from their header, before any payload is buffered.
    public var remainingCapacity: Int {
        max(0, maxMessageLength - buffer.count)
    }

    /// Validates the payload received so far of a data frame that is still arriving, so invalid text
    /// fails before the frame completes. `payloadSoFar` grows between calls for the same frame.
    public mutating func inspectPartialFrame(opcode: WebSocketOpcode, payloadSoFar: [UInt8]) throws(WebSocketError) {
        guard isTextFrame(opcode), payloadSoFar.count > validatedInFrame else { return }
        let fresh = payloadSoFar[validatedInFrame...]
        validatedInFrame = payloadSoFar.count
        if !validator.validate(fresh) { throw fail(.invalidUTF8) }
    }

    /// Adds a complete data frame; returns the message when this frame finished one.
    public mutating func append(_ frame: WebSocketFrame) throws(WebSocketError) -> WebSocketMessage? {
        let alreadyValidated = validatedInFrame
        validatedInFrame = 0
        switch (state, frame.opcode) {
        case (_, .close), (_, .ping), (_, .pong):
            return nil
        case (.idle, .continuation):
            throw fail(.continuationWithoutStart)
        case (.assembling, .text), (.assembling, .binary):
            throw fail(.dataFrameDuringFragmentedMessage)
        case (.idle, .text), (.idle, .binary):
            let isText = frame.opcode == .text
            guard frame.payload.count <= maxMessageLength else { throw fail(.messageTooBig) }
            if isText { try validate(frame.payload, from: alreadyValidated, final: frame.fin) }
            if frame.fin {
                return isText ? .text(String(decoding: frame.payload, as: UTF8.self)) : .binary(frame.payload)
            }
            buffer = frame.payload
            state = .assembling(isText: isText)
            return nil
        case (.assembling(let isText), .continuation):
            guard frame.payload.count <= maxMessageLength - buffer.count else { throw fail(.messageTooBig) }
            if isText { try validate(frame.payload, from: alreadyValidated, final: frame.fin) }
            buffer.append(contentsOf: frame.payload)
            guard frame.fin else { return nil }
            let bytes = buffer
            buffer = []
            state = .idle
            return isText ? .text(String(decoding: bytes, as: UTF8.self)) : .binary(bytes)
        }
    }

    private func isTextFrame(_ opcode: WebSocketOpcode) -> Bool {
        switch (state, opcode) {
        case (.idle, .text), (.assembling(isText: true), .continuation): return true
        default: return false
        }
    }

    private mutating func validate(_ payload: [UInt8], from offset: Int, final: Bool) throws(WebSocketError) {
        if offset < payload.count && !validator.validate(payload[offset...]) { throw fail(.invalidUTF8) }
        if final {
            let complete = validator.isComplete
            validator.reset()
            if !complete { throw fail(.invalidUTF8) }
        }
    }

    private mutating func fail(_ error: WebSocketError) -> WebSocketError {
        state = .idle
        buffer = []
        validator.reset()
        validatedInFrame = 0
        return error
    }
}
