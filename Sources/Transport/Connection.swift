import CLinux
import Glibc

/// One accepted TCP (or TLS-over-TCP) connection, confined to its event loop.
///
/// Lifecycle: `handshaking` (TLS only) → `open` → `closing` (flush queued output, send close_notify,
/// half-close, drain the peer for up to the linger time) → `closed` (socket released, handler told once).
/// All methods must be called on `loop` unless documented otherwise; use `loop.execute` from other threads.
// @unchecked: every mutable field is confined to `loop`; other threads reach a connection only through `loop.execute`.
public final class Connection: EventSource, @unchecked Sendable {
    private enum State {
        case handshaking
        case open
        /// Orderly close requested: flushing output, then half-closed and draining.
        case closing(CloseReason, halfClosed: Bool)
        case closed
    }

    /// A process-unique number for logs.
    public let id: UInt64
    /// The loop that owns this connection.
    public let loop: EventLoop
    /// The peer's address.
    public let peer: SocketAddress
    /// Whether bytes travel over TLS.
    public let isSecure: Bool
    /// False when the connection was accepted over the max-connections limit: the layer above should
    /// answer with a refusal (HTTP 503) and close.
    public let isAdmitted: Bool
    /// The handler; set by the listener's factory before the connection starts.
    public var handler: ConnectionHandler?

    private let fd: Int32
    private let stream: ByteStream
    private let options: ConnectionOptions
    private var state: State = .handshaking
    private var output = OutputBuffer()
    private var registeredEvents: UInt32 = 0
    private var readingPaused = false
    private var handshakeWantsWrite = false
    private var readWantsWrite = false
    private var aboveHighWater = false
    private var timers: [LoopTimer] = []
    private let onRelease: () -> Void

    private static let ids = Locked<UInt64>(0)

    init(fd: Int32, peer: SocketAddress, loop: EventLoop, stream: ByteStream, isSecure: Bool, isAdmitted: Bool,
         options: ConnectionOptions, onRelease: @escaping () -> Void) {
        self.id = Connection.ids.withLock { $0 += 1; return $0 }
        self.fd = fd
        self.peer = peer
        self.loop = loop
        self.stream = stream
        self.isSecure = isSecure
        self.isAdmitted = isAdmitted
        self.options = options
        self.onRelease = onRelease
    }

    // MARK: public surface

    /// Whether the connection still accepts writes (not closing or closed).
    public var isOpen: Bool {
        if case .open = state { return true }
        return false
    }

    /// Bytes queued but not yet accepted by the kernel.
    public var pendingOutputBytes: Int { output.count }

    /// False while queued output exceeds the high-water mark; producers should stop until `connectionDidDrain`.
    public var isWritable: Bool { output.count < options.highWaterMark }

    /// The ALPN protocol chosen during the TLS handshake (`http/1.1`), or nil.
    public var negotiatedProtocol: String? { stream.negotiatedProtocol }

    /// Queues bytes and writes as much as the socket takes now. Ignored unless the connection is open.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard case .open = state, bytes.count > 0 else { return }
        var remaining = bytes
        if output.isEmpty && !readWantsWrite {
            // Fast path: write straight from the caller's bytes, queue only what the kernel did not take.
            while remaining.count > 0 {
                switch stream.write(remaining) {
                case .done(let count): remaining = UnsafeRawBufferPointer(rebasing: remaining[count...])
                case .wouldBlock: output.append(contentsOf: remaining); remaining = UnsafeRawBufferPointer(start: nil, count: 0)
                case .endOfStream: finish(.peerClosed); return
                case .failed(let reason): finish(reason); return
                }
            }
        } else {
            output.append(contentsOf: remaining)
        }
        noteQueueGrowth()
        updateInterest()
    }

    /// Queues an array of bytes; see `write(_:)`.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Closes the connection. With `flush` the queued output is sent first (then TLS close_notify and a
    /// half-close with a short drain); without it the socket is released at once. The first reason wins.
    public func close(_ reason: CloseReason, flush: Bool = true) {
        switch state {
        case .closing, .closed: return
        case .handshaking:
            finish(reason)
        case .open:
            if !flush { finish(reason); return }
            state = .closing(reason, halfClosed: false)
            readingPaused = false
            // One deadline covers flushing and draining: a peer that stops reading cannot hold the socket.
            timers.append(loop.scheduleTimer(afterMilliseconds: options.lingerMilliseconds) { [weak self] in
                self?.finish(reason)
            })
            flushOutput()
            if case .closing(_, false) = state, output.isEmpty { halfClose(reason) }
            updateInterest()
        }
    }

    /// Stops reading from the socket (back-pressure towards the peer) until `resumeReading`.
    public func pauseReading() {
        readingPaused = true
        updateInterest()
    }

    /// Resumes reading; bytes already buffered (by TLS) are delivered on the next loop turn.
    public func resumeReading() {
        guard readingPaused else { return }
        readingPaused = false
        updateInterest()
        loop.execute { [self] in if isOpen && !readingPaused { readAvailable() } }
    }

    /// Runs `body` on the loop after `milliseconds` unless the connection has closed by then.
    /// A timer that fires after the close does nothing; it holds the connection weakly.
    @discardableResult
    public func scheduleTimer(afterMilliseconds milliseconds: Int, _ body: @escaping () -> Void) -> LoopTimer {
        loop.scheduleTimer(afterMilliseconds: milliseconds) { [weak self] in
            guard let self, !self.isClosed else { return }
            body()
        }
    }

    // MARK: lifecycle driven by the loop

    private var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// Registers with the loop and starts the handshake. Called on the loop thread.
    func start() {
        registeredEvents = EPOLLIN.rawValue
        loop.register(self, fd: fd, events: registeredEvents)
        if isSecure {
            let timer = loop.scheduleTimer(afterMilliseconds: options.handshakeTimeoutMilliseconds) { [weak self] in
                guard let self, case .handshaking = self.state else { return }
                self.finish(.tlsHandshakeTimeout)
            }
            timers.append(timer)
        }
        driveHandshake()
    }

    func handleEvents(_ events: UInt32) {
        if case .handshaking = state {
            driveHandshake()
            return
        }
        if readingPaused, case .open = state, events & (EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            // Not reading, so the level-triggered hang-up would repeat forever: the peer is gone.
            finish(.peerClosed)
            return
        }
        if events & EPOLLOUT.rawValue != 0 {
            flushOutput()
            if readWantsWrite { readAvailable() }
        }
        if events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue | EPOLLRDHUP.rawValue) != 0 {
            readAvailable()
        }
        updateInterest()
    }

    private func driveHandshake() {
        switch stream.handshake() {
        case .done:
            state = .open
            handler?.connectionDidOpen(self)
            if isOpen { readAvailable() }
            updateInterest()
        case .wouldBlock(let wantsWrite):
            handshakeWantsWrite = wantsWrite
            updateInterest()
        case .endOfStream:
            finish(.tlsHandshakeFailed("peer closed during handshake"))
        case .failed(let reason):
            finish(reason)
        }
    }

    private func readAvailable() {
        let buffer = loop.readBuffer
        var rounds = 0
        while rounds < 16 {
            rounds += 1
            switch state {
            case .open:
                if readingPaused { return }
            case .closing:
                break
            case .handshaking, .closed:
                return
            }
            readWantsWrite = false
            switch stream.read(into: buffer) {
            case .done(let count):
                if case .closing = state { continue }   // draining after our close: discard
                handler?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
            case .wouldBlock(let wantsWrite):
                readWantsWrite = wantsWrite
                return
            case .endOfStream:
                if case .closing(let reason, _) = state { finish(reason) } else { close(.peerClosed) }
                return
            case .failed(let reason):
                if case .closing(let original, _) = state { finish(original) } else { finish(reason) }
                return
            }
        }
        // Fairness: yield to other connections. The socket stays readable (level-triggered), but bytes
        // TLS has already decrypted would not wake epoll, so those get an explicit turn.
        if stream.bufferedReadableBytes > 0 {
            loop.execute { [self] in
                if !isClosed { readAvailable(); updateInterest() }
            }
        }
    }

    private func flushOutput() {
        while !output.isEmpty {
            let result = output.withUnsentBytes { stream.write($0) }
            switch result {
            case .done(let count):
                output.consume(count)
            case .wouldBlock:
                return
            case .endOfStream:
                finish(.peerClosed)
                return
            case .failed(let reason):
                if case .closing(let original, _) = state { finish(original) } else { finish(reason) }
                return
            }
        }
        if aboveHighWater && output.count < options.lowWaterMark {
            aboveHighWater = false
            if isOpen { handler?.connectionDidDrain(self) }
        }
        if case .closing(let reason, false) = state { halfClose(reason) }
    }

    private func noteQueueGrowth() {
        if output.count >= options.highWaterMark { aboveHighWater = true }
    }

    private func halfClose(_ reason: CloseReason) {
        state = .closing(reason, halfClosed: true)
        stream.sendCloseNotify()
        Glibc.shutdown(fd, Int32(SHUT_WR))
        updateInterest()
    }

    /// Releases the socket and tells the handler, once.
    private func finish(_ reason: CloseReason) {
        if isClosed { return }
        state = .closed
        for timer in timers { timer.cancel() }
        timers.removeAll()
        output.removeAll()
        loop.deregister(fd: fd)
        Glibc.close(fd)
        onRelease()
        let handler = self.handler
        self.handler = nil
        handler?.connection(self, didCloseWith: reason)
    }

    private func updateInterest() {
        var events: UInt32 = EPOLLRDHUP.rawValue
        switch state {
        case .closed:
            return
        case .handshaking:
            events |= handshakeWantsWrite ? EPOLLOUT.rawValue : EPOLLIN.rawValue
        case .open:
            if !readingPaused { events |= EPOLLIN.rawValue }
            if !output.isEmpty || readWantsWrite { events |= EPOLLOUT.rawValue }
        case .closing:
            events |= EPOLLIN.rawValue
            if !output.isEmpty { events |= EPOLLOUT.rawValue }
        }
        if readingPaused, case .open = state { events &= ~EPOLLRDHUP.rawValue }
        if events != registeredEvents {
            registeredEvents = events
            loop.modify(fd: fd, events: events)
        }
    }

    /// Lets the handler say goodbye at server shutdown, then makes sure the connection is closing.
    func shutdownClose() {
        if let handler, isOpen { handler.connectionWillShutDown(self) }
        close(.shutdown)
    }
}
