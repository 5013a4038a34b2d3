/// Why a connection ended. Logged once per connection; layers above add their own reasons with `.done`.
public enum CloseReason: Sendable, Equatable, CustomStringConvertible {
    /// The peer closed its side (EOF, or a TLS close_notify).
    case peerClosed
    /// The socket failed (ECONNRESET, EPIPE, …).
    case ioError(Int32)
    /// The TLS handshake failed; the text is OpenSSL's reason.
    case tlsHandshakeFailed(String)
    /// A TLS record error after the handshake.
    case tlsError(String)
    /// The TLS handshake did not finish in time.
    case tlsHandshakeTimeout
    /// A protocol-level timeout of the layer above (header read, idle keep-alive, pong).
    case timeout(String)
    /// The connection was refused by a limit (max connections, header size, …).
    case refused(String)
    /// The peer broke the protocol of the layer above.
    case protocolError(String)
    /// The layer above finished with the connection normally.
    case done(String)
    /// The server is shutting down.
    case shutdown

    public var description: String {
        switch self {
        case .peerClosed: return "peer closed"
        case .ioError(let code): return "I/O error (errno \(code))"
        case .tlsHandshakeFailed(let why): return "TLS handshake failed: \(why)"
        case .tlsError(let why): return "TLS error: \(why)"
        case .tlsHandshakeTimeout: return "TLS handshake timeout"
        case .timeout(let what): return "\(what) timeout"
        case .refused(let why): return "refused: \(why)"
        case .protocolError(let why): return "protocol error: \(why)"
        case .done(let why): return why
        case .shutdown: return "server shutdown"
        }
    }
}
