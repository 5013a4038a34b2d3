import Logging
import Transport
import WebSocket

/// The connection handler after a successful upgrade: runs the RFC 6455 state machine over the
/// connection's bytes, delivers messages to the application handler, pings for liveness and enforces
/// the send-queue bound, the server-wide budget for partially received messages (1013 when over) and
/// the deadline for completing a message once it has begun (1008 when late).
final class WebSocketEndpoint: ConnectionHandler {
    private let connection: Connection
    private var protocolState: WebSocketConnection
    private var application: WebSocketHandler?
    let channel: WebSocketChannel
    private let configuration: ServerConfiguration
    private let logger: Logger
    private var events: [WebSocketConnection.Event] = []
    private var pingTimer: LoopTimer?
    private var pongDeadline: LoopTimer?
    private var pingCounter: UInt64 = 0
    private var closeReported = false
    private let partialBudget: PartialMessageBudget
    /// This connection's share of `partialBudget`.
    private var heldPartialBytes = 0
    private var messageDeadline: LoopTimer?

    init(connection: Connection, application: WebSocketHandler, configuration: ServerConfiguration, logger: Logger,
         partialBudget: PartialMessageBudget) {
        self.connection = connection
        self.application = application
        self.configuration = configuration
        self.logger = logger
        self.partialBudget = partialBudget
        protocolState = WebSocketConnection(maxMessageLength: configuration.maxMessageBytes)
        channel = WebSocketChannel(id: connection.id, peer: connection.peer, loop: connection.loop,
                                   maxQueuedBytes: configuration.maxSendQueueBytes)
        channel.endpoint = self
    }

    /// Called by the HTTP handler right after writing the 101 response, with any bytes that followed it.
    func start(leftover: UnsafeRawBufferPointer) {
        application?.webSocketDidOpen(channel)
        schedulePing()
        if leftover.count > 0 { connection(connection, didRead: leftover) }
    }

    // MARK: ConnectionHandler

    func connectionDidOpen(_ connection: Connection) {}

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        events.removeAll(keepingCapacity: true)
        protocolState.receive(bytes, into: &events)
        for event in events {
            switch event {
            case .text(let text):
                application?.webSocket(channel, didReceiveText: text)
            case .binary(let bytes):
                application?.webSocket(channel, didReceiveBinary: bytes)
            case .ping:
                break   // the pong follows as .send
            case .pong(let payload):
                if payload == pingPayload(pingCounter) {
                    pongDeadline?.cancel()
                    pongDeadline = nil
                }
            case .send(let frame):
                connection.write(frame)
            case .closed(let code, let reason):
                // The messages before the peer's close frame were handed over above; whatever the application
                // answered them with on this loop is written, so the close reply goes last (RFC 6455 §5.5.1).
                if let reply = protocolState.answerClose() { connection.write(reply) }
                connection.close(.done("websocket closed by peer (\(code))"))
                report(code, reason)
            case .fail(let code):
                logger.info("websocket protocol error", metadata: ["connection": "\(connection.id)", "close_code": "\(code)"])
                connection.close(.protocolError("websocket close \(code)"))
                report(code, "protocol error")
            }
        }
        accountPartialMessage()
        // Back-pressure towards a peer that sends faster than it reads our answers.
        if !connection.isWritable && connection.isOpen { connection.pauseReading() }
    }

    /// Charges what the unfinished message holds to the server-wide budget and keeps the completion
    /// deadline armed exactly while a message is in progress.
    private func accountPartialMessage() {
        guard connection.isOpen else { return }
        let held = protocolState.partialMessageBytes
        guard partialBudget.update(from: heldPartialBytes, to: held) else {
            logger.notice("websocket partial-message budget exhausted", metadata: [
                "connection": "\(connection.id)", "held_bytes": "\(held)", "budget": "\(partialBudget.limit)",
            ])
            close(code: .tryAgainLater, reason: "server busy: message budget exhausted")
            return
        }
        heldPartialBytes = held
        if !protocolState.isReceivingMessage {
            messageDeadline?.cancel()
            messageDeadline = nil
        } else if messageDeadline == nil {
            messageDeadline = connection.scheduleTimer(afterMilliseconds: configuration.messageCompletionMilliseconds) { [weak self] in
                guard let self, connection.isOpen else { return }
                logger.info("websocket message not completed in time", metadata: ["connection": "\(connection.id)"])
                close(code: .policyViolation, reason: "message not completed in time")
            }
        }
    }

    func connectionDidDrain(_ connection: Connection) {
        connection.resumeReading()
    }

    func connectionWillShutDown(_ connection: Connection) {
        close(code: .goingAway, reason: "server shutting down")
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        pingTimer?.cancel()
        pongDeadline?.cancel()
        messageDeadline?.cancel()
        _ = partialBudget.update(from: heldPartialBytes, to: 0)
        heldPartialBytes = 0
        logger.info("connection closed", metadata: [
            "connection": "\(connection.id)", "peer": "\(connection.peer)", "reason": "\(reason)", "websocket": "true",
        ])
        report(.abnormalClosure, "\(reason)")
        channel.endpoint = nil
    }

    // MARK: sending (loop thread)

    func send(_ message: WebSocketChannel.Outgoing, size: Int) {
        guard connection.isOpen else { return }
        if connection.pendingOutputBytes + size > configuration.maxSendQueueBytes {
            dropSlowConsumer()
            return
        }
        let frame: [UInt8]?
        switch message {
        case .text(let text): frame = protocolState.sendText(text)
        case .binary(let bytes): frame = protocolState.sendBinary(bytes)
        }
        if let frame { connection.write(frame) }
    }

    func close(code: WebSocketCloseCode, reason: String) {
        guard let frame = protocolState.close(code: code, reason: reason) else { return }
        connection.write(frame)
        connection.close(.done("websocket closed by server (\(code))"))
        report(code, reason)
    }

    func dropSlowConsumer() {
        guard connection.isOpen else { return }
        logger.notice("websocket slow consumer closed", metadata: [
            "connection": "\(connection.id)", "queued_bytes": "\(connection.pendingOutputBytes)",
        ])
        if let frame = protocolState.close(code: .policyViolation, reason: "slow consumer") { connection.write(frame) }
        connection.close(.refused("slow consumer (send queue over \(configuration.maxSendQueueBytes) bytes)"))
        report(.policyViolation, "slow consumer")
    }

    // MARK: liveness

    private func pingPayload(_ counter: UInt64) -> [UInt8] {
        withUnsafeBytes(of: counter.bigEndian) { Array($0) }
    }

    private func schedulePing() {
        pingTimer = connection.scheduleTimer(afterMilliseconds: configuration.pingIntervalMilliseconds) { [weak self] in
            guard let self, connection.isOpen else { return }
            if pongDeadline == nil {
                pingCounter += 1
                if let frame = protocolState.sendPing(pingPayload(pingCounter)) { connection.write(frame) }
                pongDeadline = connection.scheduleTimer(afterMilliseconds: configuration.pongTimeoutMilliseconds) { [weak self] in
                    guard let self else { return }
                    logger.info("websocket pong timeout", metadata: ["connection": "\(connection.id)"])
                    if let frame = protocolState.close(code: .goingAway, reason: "pong timeout") { connection.write(frame) }
                    connection.close(.timeout("websocket pong"))
                    report(.goingAway, "pong timeout")
                }
            }
            schedulePing()
        }
    }

    private func report(_ code: WebSocketCloseCode, _ reason: String) {
        guard !closeReported else { return }
        closeReported = true
        let application = self.application
        self.application = nil
        application?.webSocket(channel, didCloseWith: code, reason: reason)
    }
}
