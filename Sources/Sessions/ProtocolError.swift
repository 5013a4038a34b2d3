/// Everything a client can get wrong, and (in `outcome`, the one place that decides) what it costs them.
public enum ProtocolError: Error, Equatable {
    /// The text frame is not JSON.
    case malformedJSON
    /// The JSON is not an object.
    case notAnObject
    /// A required field is absent (the field's path).
    case missingField(String)
    /// A field has the wrong type or an out-of-range value (path, reason).
    case invalidField(String, String)
    /// `type` names no message of this protocol.
    case unknownType(String)
    /// Something other than `hello` came first.
    case helloRequired
    /// A second `hello` on one connection.
    case duplicateHello
    /// The client speaks another protocol version.
    case unsupportedVersion(Int)
    /// Points or end for a stroke id that is not open on this connection.
    case unknownStroke(Int)
    /// `stroke.begin` reused an id that is still open.
    case strokeAlreadyOpen(Int)
    /// Too many strokes open at once on one connection.
    case tooManyOpenStrokes(Int)
    /// One message carried more points than allowed.
    case tooManyPointsInMessage(Int)
    /// The stroke would exceed the per-stroke point limit.
    case strokeTooLong(Int)
    /// `undo` with nothing of this participant's left to undo.
    case nothingToUndo
    /// `redo` with nothing undone.
    case nothingToRedo
    /// Over the per-connection operation rate.
    case rateLimited
    /// Clients send text frames only.
    case binaryNotAccepted
    /// The session reached its operation limit.
    case sessionOperationLimit(Int)
    /// One message would cost more painting work than allowed.
    case tooMuchWork(Int)
    /// The session's stored log is damaged: read-only until an operator recovers it.
    case sessionDamaged
    /// The session holds its maximum bytes of operations.
    case sessionByteLimit(Int)
    /// All sessions together hold the server's maximum bytes of operations.
    case serverByteLimit
    /// The store is behind (disk full, database stuck): drawing is refused until it catches up.
    case cannotSave
    /// Over the session's join rate.
    case tooManyJoins
    /// `hello` claims a client id the session knows, without its token.
    case clientTaken
    /// A `ref` too far above this connection's highest one so far.
    case refOutOfSequence(limit: Int)
    /// A `candidates` request asked for more faces than allowed.
    case tooManyCandidates(Int)
    /// A `candidates` request while this connection's previous one is still being computed.
    case candidatesPending
    /// Candidate faces cannot be made (no model, a model without palette, the model failed); the reason.
    case candidatesUnavailable(String)

    /// What the client is told, and whether the connection is closed.
    public struct Outcome: Equatable {
        /// Machine-readable error code (`invalid`, `rate_limited`, …).
        public var code: String
        /// The offending field's path, when there is one.
        public var field: String?
        /// A sentence for humans.
        public var message: String
        /// Close code when the error ends the connection, nil to keep it open.
        public var close: SessionCloseCode?
        /// True when it counts towards the 1008 close (`rate_strikes` without a calm second).
        public var strike = false
    }

    /// The single mapping from error to protocol outcome.
    public var outcome: Outcome {
        switch self {
        case .malformedJSON:
            return Outcome(code: "bad_json", field: nil, message: "message is not valid JSON", close: nil)
        case .notAnObject:
            return Outcome(code: "bad_json", field: nil, message: "message must be a JSON object", close: nil)
        case .missingField(let field):
            return Outcome(code: "invalid", field: field, message: "\(field): required", close: nil)
        case .invalidField(let field, let reason):
            return Outcome(code: "invalid", field: field, message: "\(field): \(reason)", close: nil)
        case .unknownType(let type):
            return Outcome(code: "unknown_type", field: "type", message: "type: unknown message type \"\(type)\"", close: nil)
        case .helloRequired:
            return Outcome(code: "hello_required", field: "type", message: "the first message must be hello", close: .badHello)
        case .duplicateHello:
            return Outcome(code: "invalid", field: "type", message: "hello was already received", close: nil)
        case .unsupportedVersion(let v):
            return Outcome(code: "unsupported_version", field: "version",
                           message: "version: \(v) is not supported (this server speaks \(SessionProtocol.version))", close: .badHello)
        case .unknownStroke(let id):
            return Outcome(code: "invalid", field: "id", message: "id: no open stroke \(id) on this connection", close: nil)
        case .strokeAlreadyOpen(let id):
            return Outcome(code: "invalid", field: "id", message: "id: stroke \(id) is already open", close: nil)
        case .tooManyOpenStrokes(let limit):
            return Outcome(code: "limit", field: "id", message: "id: at most \(limit) strokes may be open at once", close: nil)
        case .tooManyPointsInMessage(let limit):
            return Outcome(code: "limit", field: "points", message: "points: at most \(limit) points per message", close: nil)
        case .strokeTooLong(let limit):
            return Outcome(code: "limit", field: "points", message: "points: a stroke holds at most \(limit) points", close: nil)
        case .nothingToUndo:
            return Outcome(code: "nothing_to_undo", field: nil, message: "nothing of yours to undo", close: nil)
        case .nothingToRedo:
            return Outcome(code: "nothing_to_redo", field: nil, message: "nothing of yours to redo", close: nil)
        case .rateLimited:
            return Outcome(code: "rate_limited", field: nil, message: "too many messages or too much drawing per second; slow down",
                           close: nil, strike: true)
        case .sessionDamaged:
            return Outcome(code: "session_damaged", field: nil,
                           message: "this sketch's stored history is damaged; it is read-only until the server's operator recovers it",
                           close: .sessionDamaged)
        case .sessionByteLimit(let limit):
            return Outcome(code: "limit", field: nil, message: "this session reached its size limit of \(limit >> 20) MiB; start a new sketch",
                           close: nil)
        case .serverByteLimit:
            return Outcome(code: "unavailable", field: nil, message: "the server holds as much drawing as it may; try again later",
                           close: nil)
        case .cannotSave:
            return Outcome(code: "unavailable", field: nil,
                           message: "the server cannot save right now; drawing is paused until it can", close: nil)
        case .tooManyJoins:
            return Outcome(code: "rate_limited", field: nil, message: "too many joins to this session; try again shortly",
                           close: .policyViolation)
        case .clientTaken:
            return Outcome(code: "client_taken", field: "token",
                           message: "token: this client id belongs to another participant of the session", close: .clientTaken)
        case .refOutOfSequence(let limit):
            return Outcome(code: "invalid", field: "ref", message: "ref: at most \(limit) (refs grow one by one)", close: nil)
        case .tooMuchWork(let limit):
            return Outcome(code: "limit", field: "points", message: "points: one message may paint at most \(limit) pixels of work",
                           close: nil, strike: true)
        case .sessionOperationLimit(let limit):
            return Outcome(code: "limit", field: nil, message: "this session reached its limit of \(limit) operations", close: nil)
        case .tooManyCandidates(let limit):
            return Outcome(code: "limit", field: "indices", message: "indices: at most \(limit) candidates per request", close: nil)
        case .candidatesPending:
            return Outcome(code: "limit", field: nil, message: "your previous candidates request is still being computed", close: nil)
        case .candidatesUnavailable(let reason):
            return Outcome(code: "unavailable", field: nil, message: "no candidate faces: \(reason)", close: nil)
        case .binaryNotAccepted:
            return Outcome(code: "invalid", field: nil, message: "binary messages are not accepted from clients", close: nil)
        }
    }
}

extension ProtocolError {
    /// The `error` message that tells the client, echoing `ref` (for refusals sent later, off the message's path).
    public func errorMessage(ref: Int?) -> String { ServerMessage.error(outcome, ref: ref) }
}

/// WebSocket close codes used by sessions (RFC 6455 range and the 4000–4999 private range).
public enum SessionCloseCode: UInt16, Equatable, Sendable {
    /// Policy violation: sustained rate-limit abuse.
    case policyViolation = 1008
    /// Server going down.
    case goingAway = 1001
    /// Missing or unacceptable hello (4400, like HTTP 400).
    case badHello = 4400
    /// No such session, or it expired (4404, like HTTP 404).
    case unknownSession = 4404
    /// `hello` claimed another participant's client id without its token (4403, like HTTP 403).
    case clientTaken = 4403
    /// The session already has its maximum number of participants (4409, like HTTP 409).
    case sessionFull = 4409
    /// The session was deleted (expired) while connected.
    case sessionExpired = 4410
    /// The session's stored log is damaged (4500, like HTTP 500): read-only, nobody may join.
    case sessionDamaged = 4500
    /// This node no longer owns the session (its lease was lost or handed over): reconnect at once, another node
    /// serves it (4503, like HTTP 503).
    case sessionMoved = 4503
}

/// Protocol constants.
public enum SessionProtocol {
    /// The `version` a hello must carry.
    public static let version = 1
}
