import HTTP
import Transport

/// Everything the HTTP/WebSocket server needs to run, independent of how it was configured.
public struct ServerConfiguration: Sendable {
    /// Where the TLS listener's certificate comes from.
    public enum CertificateSource: Sendable {
        /// PEM files given by the operator.
        case files(certificate: String, privateKey: String)
        /// A self-signed development certificate kept in this directory (generated on first start).
        case development(directory: String)
    }

    /// Plaintext listener, nil when disabled. Port 0 picks a free port.
    public var httpAddress: SocketAddress?
    /// TLS listener, nil when disabled.
    public var httpsAddress: SocketAddress?
    public var certificate: CertificateSource = .development(directory: "data")
    /// Event-loop threads.
    public var eventLoops = 2
    /// Admitted connections at once; the next ones get 503.
    public var maxConnections = 1024
    /// Request line plus headers (431 beyond).
    public var maxHeaderBytes = 16 * 1024
    /// Request body (413 beyond).
    public var maxBodyBytes = 1 << 20
    /// One WebSocket message (1009 beyond).
    public var maxMessageBytes = 1 << 20
    /// Unsent WebSocket output for one connection (1008 beyond).
    public var maxSendQueueBytes = 4 << 20
    /// A request must be complete this long after the connection opened or its first byte arrived.
    public var headerReadTimeoutMilliseconds = 10_000
    /// A keep-alive connection idle this long is closed.
    public var idleTimeoutMilliseconds = 30_000
    public var tlsHandshakeTimeoutMilliseconds = 10_000
    /// The server pings each WebSocket this often …
    public var pingIntervalMilliseconds = 20_000
    /// … and closes it when the pong does not come within this.
    public var pongTimeoutMilliseconds = 10_000
    /// Bound on an orderly close (flush, close_notify, drain).
    public var closeLingerMilliseconds = 2_000
    /// Origins allowed to open WebSockets besides same-origin pages; empty allows every origin.
    public var allowedOrigins: [String] = []
    /// Host names accepted in `Host`; others are answered 421 (DNS rebinding defence).
    public var allowedHosts = HostAllowList(names: ["*"])
    /// Unsent output of one connection at which HTTP stops parsing pipelined requests (and a WebSocket
    /// stops reading) until the client has read most of it.
    public var maxQueuedResponseBytes = 256 * 1024
    /// Admitted connections from one source address; the next ones get 503.
    public var maxConnectionsPerAddress = 64
    /// Bytes of partially received WebSocket messages across all connections (1013 beyond).
    public var maxPartialMessageBytes = 64 << 20
    /// A WebSocket message must be complete this long after its first byte (1008 otherwise).
    public var messageCompletionMilliseconds = 30_000
    /// Directory of static files served for GET/HEAD requests no route claims; nil serves none.
    public var webRoot: String?
    /// Headers added to every response this server writes (HTTP answers, refusals and WebSocket handshakes) unless
    /// the response already carries them: the node identity (`X-SketchFace-Node`) behind a proxy.
    public var responseHeaders = HTTPHeaders()

    public init() {}
}
