import Foundation
import HTTP
import Logging
import Transport

/// What every connection handler of a server shares (read-only after start).
final class ServerCore: Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let logger: Logger
    let staticFiles: StaticFiles?
    /// Bytes of unfinished WebSocket messages across every connection.
    let partialMessageBudget: PartialMessageBudget

    init(configuration: ServerConfiguration, router: Router, logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
        staticFiles = configuration.webRoot.map(StaticFiles.init(root:))
        partialMessageBudget = PartialMessageBudget(limit: configuration.maxPartialMessageBytes)
    }
}

/// The HTTP/1.1 + WebSocket server: event loops, listeners (plaintext and TLS) and the router, started
/// and stopped as one.
// @unchecked: `group`, `listeners` and the bound addresses are written only by `start()` (before sharing) and `shutdown()` (under `shutdownLock`).
public final class HTTPServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    /// Routes; register them before `start()`.
    public let router: Router
    private let logger: Logger
    private var group: EventLoopGroup?
    private var listeners: [Listener] = []
    private let shutdownLock = Locked(())

    /// The plaintext listener's bound address (real port when configured with port 0), after `start()`.
    public private(set) var httpAddress: SocketAddress?
    /// The TLS listener's bound address, after `start()`.
    public private(set) var httpsAddress: SocketAddress?
    /// SHA-256 fingerprint of the TLS certificate in use, after `start()`.
    public private(set) var certificateFingerprint: String?
    /// Where the development certificate lives, when one is used.
    public private(set) var developmentCertificate: DevelopmentCertificate.Files?

    public init(configuration: ServerConfiguration, router: Router = Router(), logger: Logger) {
        self.configuration = configuration
        self.router = router
        self.logger = logger
    }

    /// Loads TLS material, binds the listeners and starts accepting. Throws `TransportError` (a port in
    /// use, an unreadable certificate) with nothing left running.
    public func start() throws {
        var tls: TLSContext?
        if configuration.httpsAddress != nil {
            switch configuration.certificate {
            case .files(let certificate, let key):
                tls = try TLSContext(certificatePath: certificate, privateKeyPath: key)
            case .development(let directory):
                let files = try DevelopmentCertificate.ensure(in: directory)
                developmentCertificate = files
                if files.created { logger.notice("generated development certificate", metadata: ["path": "\(files.certificatePath)"]) }
                tls = try TLSContext(certificatePath: files.certificatePath, privateKeyPath: files.privateKeyPath)
            }
            certificateFingerprint = tls?.fingerprint
        }
        var sockets: [(ListeningSocket, TLSContext?)] = []
        do {
            if let address = configuration.httpAddress { sockets.append((try ListeningSocket(address: address), nil)) }
            if let address = configuration.httpsAddress { sockets.append((try ListeningSocket(address: address), tls)) }
        } catch {
            for (socket, _) in sockets { socket.close() }
            throw error
        }
        if let root = configuration.webRoot {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) || !isDirectory.boolValue {
                logger.warning("web root is not a directory; static files will answer 404", metadata: ["web_root": "\(root)"])
            }
        }
        let group = try EventLoopGroup(count: configuration.eventLoops)
        self.group = group
        let core = ServerCore(configuration: configuration, router: router, logger: logger)
        let admission = Admission(maxConnections: configuration.maxConnections,
                                  maxConnectionsPerAddress: configuration.maxConnectionsPerAddress)
        var options = ConnectionOptions()
        options.highWaterMark = configuration.maxQueuedResponseBytes
        options.lowWaterMark = configuration.maxQueuedResponseBytes / 4
        options.plaintextOnTLSAnswer = HTTPResponse.text(.badRequest, "400 Bad Request: this port speaks HTTPS; use https://\n")
            .serialized(date: HTTPDate(secondsSince1970: time(nil)), keepAlive: false)
        options.handshakeTimeoutMilliseconds = configuration.tlsHandshakeTimeoutMilliseconds
        options.lingerMilliseconds = configuration.closeLingerMilliseconds
        for (socket, context) in sockets {
            let listener = Listener(socket: socket, tls: context, group: group, admission: admission, options: options) { connection in
                HTTPConnectionHandler(connection: connection, server: core)
            }
            listener.start()
            listeners.append(listener)
            if context == nil { httpAddress = socket.address } else { httpsAddress = socket.address }
            logger.info("listening", metadata: ["address": "\(socket.address)", "tls": "\(context != nil)"])
        }
    }

    /// Stops accepting, closes every connection (WebSockets see the socket close) and stops the loops.
    /// Idempotent.
    public func shutdown() {
        shutdownLock.withLock { _ in
            for listener in listeners { listener.stop() }
            listeners.removeAll()
            group?.shutdown(graceMilliseconds: configuration.closeLingerMilliseconds)
            group = nil
        }
    }
}
