import Foundation
import Glibc
import HTTP
import Logging
import Transport
import WebSocket

/// Serves HTTP/1.1 on one connection: parses requests incrementally, answers them in order (keep-alive,
/// pipelining, HEAD), enforces the header-read and idle timeouts, and hands the connection over to a
/// `WebSocketEndpoint` after a successful upgrade.
///
/// Modes: `reading` → (`awaitingResponse` while a deferred route works → `reading`) → `closing`, or
/// `upgraded` once the WebSocket endpoint owns the connection.
final class HTTPConnectionHandler: ConnectionHandler {
    private enum Mode {
        case reading
        case awaitingResponse
        case upgraded
        case closing
    }

    private let connection: Connection
    private let server: ServerCore
    private var parser: HTTPRequestParser
    private var mode = Mode.reading
    private var pendingInput: [UInt8] = []
    private var headerTimer: LoopTimer?
    private var idleTimer: LoopTimer?
    private var requests = 0
    /// Bytes of the request in progress while its head is incomplete, to answer `Expect: 100-continue`
    /// as soon as the head is in (clients such as curl otherwise wait a second before sending the body).
    private var partialHead: [UInt8] = []
    private var partialHeadComplete = false

    init(connection: Connection, server: ServerCore) {
        self.connection = connection
        self.server = server
        parser = HTTPRequestParser(limits: .init(maxHeadLength: server.configuration.maxHeaderBytes,
                                                 maxBodyLength: server.configuration.maxBodyBytes))
    }

    private var logger: Logger { server.logger }
    private var configuration: ServerConfiguration { server.configuration }

    // MARK: ConnectionHandler

    func connectionDidOpen(_ connection: Connection) {
        guard connection.isAdmitted else {
            logger.notice("connection refused: max connections", metadata: metadata(["limit": "\(configuration.maxConnections)"]))
            var response = HTTPResponse.text(.serviceUnavailable, "503 Service Unavailable: too many connections\n")
            response.headers.add(name: "Retry-After", value: "1")
            send(response, keepAlive: false, omitBody: false)
            finish(.refused("max connections"))
            return
        }
        var fields: Logger.Metadata = ["tls": "\(connection.isSecure)"]
        if let alpn = connection.negotiatedProtocol { fields["alpn"] = "\(alpn)" }
        logger.info("connection open", metadata: metadata(fields))
        armHeaderTimer()
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        switch mode {
        case .reading where pendingInput.isEmpty: process(bytes)
        case .reading, .awaitingResponse: pendingInput.append(contentsOf: bytes)
        case .upgraded, .closing: break
        }
    }

    /// The client read enough of its answers: parse the requests held back, then read more.
    func connectionDidDrain(_ connection: Connection) {
        guard mode == .reading else { return }
        processPendingInput()
        if mode == .reading && pendingInput.isEmpty { connection.resumeReading() }
    }

    func connection(_ connection: Connection, didCloseWith reason: CloseReason) {
        headerTimer?.cancel()
        idleTimer?.cancel()
        switch reason {
        case .tlsHandshakeFailed, .tlsHandshakeTimeout:
            logger.notice("TLS handshake failed", metadata: metadata(["reason": "\(reason)"]))
        default:
            if connection.isAdmitted {
                logger.info("connection closed", metadata: metadata(["reason": "\(reason)", "requests": "\(requests)"]))
            }
        }
    }

    // MARK: requests

    /// Parses and answers the requests in `bytes`, in order. While the connection's unsent output is at its
    /// bound (`isWritable` false) no further request is parsed: the rest waits in `pendingInput`, reading
    /// pauses, and `connectionDidDrain` carries on. So a client that pipelines requests and never reads
    /// holds at most one bound of responses plus one read of requests.
    private func process(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while mode == .reading {
            if !connection.isWritable {
                pendingInput.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                connection.pauseReading()
                return
            }
            let request: HTTPRequest?
            let start = offset
            do {
                request = try parser.parseNext(bytes, consumed: &offset)
            } catch {
                refuse(error)
                return
            }
            guard let request else {
                if !parser.isIdle {
                    watchForExpectContinue(UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
                    idleTimer?.cancel()
                    idleTimer = nil
                    if headerTimer == nil { armHeaderTimer() }
                }
                return
            }
            headerTimer?.cancel()
            headerTimer = nil
            idleTimer?.cancel()
            idleTimer = nil
            partialHead.removeAll()
            partialHeadComplete = false
            requests += 1
            handle(request, leftover: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            if mode == .upgraded { return }
        }
        if mode == .awaitingResponse && offset < bytes.count {
            pendingInput.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
        }
        if mode == .reading && !connection.isWritable { connection.pauseReading() }
    }

    private func handle(_ request: HTTPRequest, leftover: UnsafeRawBufferPointer) {
        if let authority = request.authority, !configuration.allowedHosts.allows(authority) {
            refuse(.misdirectedRequest)
            return
        }
        if request.headers.hasToken("websocket", in: "Upgrade") {
            upgrade(request, leftover: leftover)
            return
        }
        let path = request.path
        switch server.router.lookup(method: request.method, path: path) {
        case .found(.immediate(let handler), let remainder):
            respond(handler(request, context(remainder)), to: request)
        case .found(.deferred(let handler), let remainder):
            mode = .awaitingResponse
            connection.pauseReading()
            let loop = connection.loop
            let answered = Locked(false)
            // The route may answer from any thread; the handler itself is touched again only on `loop`.
            nonisolated(unsafe) let owner = self
            handler(request, context(remainder)) { response in
                guard !answered.withLock({ done in defer { done = true }; return done }) else { return }
                loop.execute { owner.finishDeferred(response, to: request) }
            }
        case .wrongMethod(let allowed):
            var response = HTTPResponse.text(.methodNotAllowed, "405 Method Not Allowed\n")
            response.headers.add(name: "Allow", value: allowed.sorted().joined(separator: ", "))
            respond(response, to: request)
        case .none:
            if let files = server.staticFiles {
                respond(files.response(for: request), to: request)
            } else {
                respond(.error(.notFound), to: request)
            }
        }
    }

    /// Collects the incomplete request's head; once it is complete and asks for `100-continue`, says so.
    /// (The parser validates the head; this only looks for the header line.)
    private func watchForExpectContinue(_ consumed: UnsafeRawBufferPointer) {
        guard !partialHeadComplete else { return }
        partialHead.append(contentsOf: consumed)
        while let first = partialHead.first, first == 0x0D || first == 0x0A { partialHead.removeFirst() }
        guard let end = Self.endOfHead(partialHead) else { return }
        partialHeadComplete = true
        let head = String(decoding: partialHead[..<end], as: UTF8.self).lowercased()
        partialHead.removeAll()
        let asksToContinue = head.split(whereSeparator: \.isNewline).contains { line in
            line.hasPrefix("expect:") && line.dropFirst(7).trimmingCharacters(in: .whitespaces) == "100-continue"
        }
        if asksToContinue && head.contains(" http/1.1") {
            connection.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
        }
    }

    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index + 1 < bytes.count {
            if bytes[index] == 0x0A && (bytes[index + 1] == 0x0A || (bytes[index + 1] == 0x0D && index + 2 < bytes.count && bytes[index + 2] == 0x0A)) {
                return index
            }
            index += 1
        }
        return nil
    }

    private func context(_ remainder: Substring) -> RequestContext {
        RequestContext(peer: connection.peer, isSecure: connection.isSecure, loop: connection.loop, remainder: remainder)
    }

    private func finishDeferred(_ response: HTTPResponse, to request: HTTPRequest) {
        guard mode == .awaitingResponse, connection.isOpen else { return }
        mode = .reading
        respond(response, to: request)
        guard mode == .reading else { return }
        processPendingInput()
        if mode == .reading && pendingInput.isEmpty { connection.resumeReading() }
    }

    /// Parses the bytes held back (read during a deferred response or over the output bound).
    private func processPendingInput() {
        guard !pendingInput.isEmpty else { return }
        let input = pendingInput
        pendingInput = []
        input.withUnsafeBytes { process($0) }
    }

    private func respond(_ response: HTTPResponse, to request: HTTPRequest) {
        let keepAlive = request.keepAlive
        send(response, keepAlive: keepAlive, omitBody: request.method == "HEAD")
        logger.debug("request", metadata: metadata([
            "method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status.code)",
        ]))
        if !keepAlive {
            finish(.done("Connection: close"))
        } else if parser.isIdle && idleTimer == nil && mode == .reading {
            idleTimer = connection.scheduleTimer(afterMilliseconds: configuration.idleTimeoutMilliseconds) { [weak self] in
                guard let self, parser.isIdle, mode == .reading else { return }
                finish(.timeout("idle keep-alive"))
            }
        }
    }

    private func send(_ response: HTTPResponse, keepAlive: Bool, omitBody: Bool) {
        var response = response
        for field in configuration.responseHeaders where !response.headers.contains(name: field.name) {
            response.headers.add(name: field.name, value: field.value)
        }
        connection.write(response.serialized(date: HTTPDate(secondsSince1970: time(nil)), keepAlive: keepAlive,
                                             omitBody: omitBody))
    }

    /// Answers a parser refusal with its status, then closes: the stream position is unknown afterwards.
    private func refuse(_ error: HTTPError) {
        logger.notice("request refused", metadata: metadata(["status": "\(error.status.code)", "error": "\(error)"]))
        send(.error(error), keepAlive: false, omitBody: false)
        finish(.refused("\(error.status.code) \(error.status.reasonPhrase)"))
    }

    private func finish(_ reason: CloseReason) {
        mode = .closing
        headerTimer?.cancel()
        idleTimer?.cancel()
        connection.close(reason)
    }

    private func armHeaderTimer() {
        headerTimer = connection.scheduleTimer(afterMilliseconds: configuration.headerReadTimeoutMilliseconds) { [weak self] in
            guard let self, mode == .reading else { return }
            if !parser.isIdle {
                logger.notice("request header timeout", metadata: metadata([:]))
                send(.text(HTTPStatus(code: 408), "408 Request Timeout\n"), keepAlive: false, omitBody: false)
            }
            finish(.timeout("header read"))
        }
    }

    // MARK: WebSocket upgrade

    private func upgrade(_ request: HTTPRequest, leftover: UnsafeRawBufferPointer) {
        guard let (route, remainder) = server.router.webSocketRoute(for: request.path) else {
            respond(.error(.notFound), to: request)
            return
        }
        let allowed = request.isSameOrigin(isSecure: connection.isSecure) ? [] : configuration.allowedOrigins
        let fields = request.headers.fields
        switch WebSocketHandshake.validate(method: request.method, version: request.version.description,
                                           headers: fields, allowedOrigins: allowed) {
        case .reject(let status, let headers, let reason):
            logger.notice("websocket upgrade refused", metadata: metadata(["status": "\(status)", "reason": "\(reason)"]))
            var response = HTTPResponse.text(HTTPStatus(code: status), "\(status) \(HTTPStatus(code: status).reasonPhrase): \(reason)\n")
            for header in headers { response.headers.add(name: header.name, value: header.value) }
            send(response, keepAlive: false, omitBody: false)
            finish(.refused("websocket upgrade \(status)"))
        case .accept(let headers):
            let upgradeRequest = WebSocketRequest(request: request, remainder: remainder,
                                                  peer: connection.peer, isSecure: connection.isSecure)
            var response = HTTPResponse(status: .switchingProtocols)
            for header in headers { response.headers.add(name: header.name, value: header.value) }
            let switching = response
            // The factory answers now (on this loop) or later from any thread; a later answer comes back through
            // the loop, and the connection reads nothing meanwhile (what arrives waits in `pendingInput`).
            let answer = Locked<(synchronous: Bool, handler: WebSocketHandler??)>((true, nil))
            let loop = connection.loop
            nonisolated(unsafe) let owner = self
            route.factory(upgradeRequest) { application in
                nonisolated(unsafe) let application = application
                let later: Bool = answer.withLock { state in
                    guard state.handler == nil else { return false }
                    state.handler = .some(application)
                    return !state.synchronous
                }
                if later { loop.execute { owner.finishDeferredUpgrade(application, switching, to: request) } }
            }
            let now = answer.withLock { state -> WebSocketHandler?? in
                state.synchronous = false
                return state.handler
            }
            if let now {
                open(now, switching, to: request, leftover: leftover)
            } else {
                mode = .awaitingResponse
                connection.pauseReading()
            }
        }
    }

    /// Completes an upgrade whose handler came later: as `open`, with what was read meanwhile.
    private func finishDeferredUpgrade(_ application: WebSocketHandler?, _ switching: HTTPResponse, to request: HTTPRequest) {
        guard mode == .awaitingResponse, connection.isOpen else { return }
        guard application != nil else { return finishDeferred(.error(.notFound), to: request) }
        mode = .reading
        let input = pendingInput
        pendingInput = []
        input.withUnsafeBytes { open(application, switching, to: request, leftover: $0) }
        connection.resumeReading()
    }

    /// Answers an upgrade: 404 without a handler, else 101 and the WebSocket endpoint takes the connection over
    /// (`leftover`: bytes read after the request).
    private func open(_ application: WebSocketHandler?, _ switching: HTTPResponse, to request: HTTPRequest,
                      leftover: UnsafeRawBufferPointer) {
        guard let application else {
            respond(.error(.notFound), to: request)
            return
        }
        send(switching, keepAlive: true, omitBody: false)
        mode = .upgraded
        headerTimer?.cancel()
        idleTimer?.cancel()
        logger.info("websocket open", metadata: metadata(["path": "\(request.path)"]))
        let endpoint = WebSocketEndpoint(connection: connection, application: application,
                                         configuration: configuration, logger: logger,
                                         partialBudget: server.partialMessageBudget)
        connection.handler = endpoint
        endpoint.start(leftover: leftover)
    }

    private func metadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        var fields: Logger.Metadata = ["connection": "\(connection.id)", "peer": "\(connection.peer)"]
        fields.merge(extra) { $1 }
        return fields
    }
}
