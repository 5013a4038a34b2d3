import Glibc

/// The outcome of one non-blocking read, write or handshake step.
enum StreamResult {
    /// `count` bytes were transferred (for a handshake: it completed).
    case done(Int)
    /// Nothing can happen until the socket is readable (`wantsWrite == false`) or writable (`true`).
    case wouldBlock(wantsWrite: Bool)
    /// The peer closed the stream.
    case endOfStream
    /// The stream failed; the connection closes with this reason.
    case failed(CloseReason)
}

/// A non-blocking byte stream over a connected socket: plain TCP or TLS.
protocol ByteStream: AnyObject {
    /// Advances the handshake (TLS); a plain stream is ready at once.
    func handshake() -> StreamResult
    func read(into buffer: UnsafeMutableRawBufferPointer) -> StreamResult
    func write(_ bytes: UnsafeRawBufferPointer) -> StreamResult
    /// Bytes already decrypted and buffered inside the stream, readable without the socket becoming readable.
    var bufferedReadableBytes: Int { get }
    /// Sends the protocol's orderly-close message where it has one (TLS close_notify), best effort.
    func sendCloseNotify()
    /// The application protocol agreed during the handshake (ALPN), if any.
    var negotiatedProtocol: String? { get }
}

/// Plain TCP.
final class PlainStream: ByteStream {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }

    func handshake() -> StreamResult { .done(0) }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> StreamResult {
        let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
        if count > 0 { return .done(count) }
        if count == 0 { return .endOfStream }
        switch errno {
        case EAGAIN, EWOULDBLOCK, EINTR: return .wouldBlock(wantsWrite: false)
        case let code: return .failed(.ioError(code))
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> StreamResult {
        let count = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        if count >= 0 { return .done(count) }
        switch errno {
        case EAGAIN, EWOULDBLOCK, EINTR: return .wouldBlock(wantsWrite: true)
        case let code: return .failed(.ioError(code))
        }
    }

    var bufferedReadableBytes: Int { 0 }
    func sendCloseNotify() {}
    var negotiatedProtocol: String? { nil }
}
