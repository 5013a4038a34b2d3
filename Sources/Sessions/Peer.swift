/// One connected client as the session logic sees it: the server's WebSocket adapter implements it,
/// tests implement it in memory.
///
/// Methods may be called from any thread (the session lock, the persistence writer thread for acks, guidance
/// workers) and must not block: a real adapter enqueues onto its connection's bounded send queue.
public protocol Peer: AnyObject {
    /// Sends one text (JSON) message.
    func send(text: String)
    /// Sends one binary message (shadows and face frames, see docs/PROTOCOL.md).
    func send(binary: [UInt8])
    /// Starts the WebSocket close handshake with `code` and a short human-readable `reason`.
    func close(code: UInt16, reason: String)
}
