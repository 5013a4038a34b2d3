/// The layer above a connection (HTTP, WebSocket): receives its bytes and lifecycle events.
///
/// Every call arrives on the connection's event loop thread. The connection holds its handler strongly
/// until it closes; a handler should hold its connection strongly too (the cycle is broken at close).
public protocol ConnectionHandler: AnyObject {
    /// The connection is ready for application bytes (after the TLS handshake, if any).
    func connectionDidOpen(_ connection: Connection)
    /// Bytes arrived. `bytes` is only valid during the call.
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer)
    /// Queued output fell back below the low-water mark after having exceeded the high-water mark.
    func connectionDidDrain(_ connection: Connection)
    /// The connection is closed (socket released); called exactly once, with the first close reason.
    func connection(_ connection: Connection, didCloseWith reason: CloseReason)
    /// The server is shutting down: say goodbye in the protocol's terms (a WebSocket close frame), then
    /// close. The default closes with `CloseReason.shutdown`, flushing queued output.
    func connectionWillShutDown(_ connection: Connection)
}

extension ConnectionHandler {
    public func connectionDidDrain(_ connection: Connection) {}
    public func connectionWillShutDown(_ connection: Connection) { connection.close(.shutdown) }
}

/// Per-connection tuning shared by every connection of a listener.
public struct ConnectionOptions: Sendable {
    /// Output above this many queued bytes makes `isWritable` false (back-pressure to the layer above).
    public var highWaterMark = 256 * 1024
    /// `connectionDidDrain` fires when queued output falls below this after exceeding the high-water mark.
    public var lowWaterMark = 64 * 1024
    /// A TLS handshake not finished within this many milliseconds closes the connection.
    public var handshakeTimeoutMilliseconds = 10_000
    /// An orderly close flushes queued output, half-closes and drains the peer for at most this long in
    /// all, so a peer still sending does not turn our final response into a TCP reset, and a peer that
    /// stopped reading cannot hold the socket.
    public var lingerMilliseconds = 2_000
    /// Written in the clear to a client that speaks plaintext HTTP to a TLS listener, before closing
    /// (e.g. an HTTP 400 saying to use https); nil closes without a word.
    public var plaintextOnTLSAnswer: [UInt8]?

    public init() {}
}
