import HTTP
import Logging
import Server
import Transport

/// SketchFace assembled: the HTTP/WebSocket server configured from `Config`, with every layer's routes.
///
/// ```swift
/// let app = try Application(config: config, logger: logger)
/// try app.start()          // binds; app.server.httpAddress has the real port
/// app.shutdown()
/// ```
public final class Application {
    public let config: Config
    /// The server; `server.router` accepts extra routes until `start()` (tests add their own).
    public let server: HTTPServer
    let providers: [any RouteProvider]
    private let logger: Logger

    /// Builds the server and every route provider (see `routeProviders`). Throws what a provider throws.
    public init(config: Config, logger: Logger) throws {
        self.config = config
        self.logger = logger
        server = HTTPServer(configuration: ServerConfiguration(config), logger: logger)
        let context = AppContext(config: config, logger: logger)
        var built: [any RouteProvider] = []
        for type in routeProviders {
            let provider = try type.init(context: context)
            provider.register(on: server.router)
            built.append(provider)
        }
        providers = built
    }

    /// The router, for adding routes before `start()`.
    public var router: Router { server.router }

    /// Binds the listeners and starts serving.
    public func start() throws {
        try server.start()
    }

    /// Stops the server, then every provider (in reverse order).
    public func shutdown() {
        server.shutdown()
        for provider in providers.reversed() { provider.shutdown() }
    }
}

extension ServerConfiguration {
    /// The server settings of a validated configuration.
    public init(_ config: Config) {
        self.init()
        let listeners = config[ListenersSection.self]
        let limits = config[LimitsSection.self]
        let timeouts = config[TimeoutsSection.self]
        let server = config[ServerSection.self]
        let tls = config[TLSSection.self]
        httpAddress = listeners.http
        httpsAddress = listeners.https
        if let certificate = tls.certificate, let key = tls.privateKey {
            self.certificate = .files(certificate: certificate, privateKey: key)
        } else {
            self.certificate = .development(directory: server.dataDirectory)
        }
        eventLoops = server.eventLoops
        maxConnections = limits.maxConnections
        maxHeaderBytes = limits.maxHeaderBytes
        maxBodyBytes = limits.maxBodyBytes
        maxMessageBytes = limits.maxMessageBytes
        maxSendQueueBytes = limits.maxSendQueueBytes
        maxQueuedResponseBytes = limits.maxQueuedResponseBytes
        maxConnectionsPerAddress = limits.maxConnectionsPerAddress
        maxPartialMessageBytes = limits.maxPartialMessageBytes
        messageCompletionMilliseconds = timeouts.messageCompletionMilliseconds
        headerReadTimeoutMilliseconds = timeouts.headerReadMilliseconds
        idleTimeoutMilliseconds = timeouts.idleKeepAliveMilliseconds
        tlsHandshakeTimeoutMilliseconds = timeouts.tlsHandshakeMilliseconds
        pingIntervalMilliseconds = timeouts.pingIntervalMilliseconds
        pongTimeoutMilliseconds = timeouts.pongTimeoutMilliseconds
        closeLingerMilliseconds = timeouts.closeLingerMilliseconds
        allowedOrigins = server.allowedOrigins
        var hosts: [String] = ["localhost", "127.0.0.1", "::1"]
        let bound = [listeners.http, listeners.https].compactMap { $0 }
        hosts += bound.map(\.host)
        // A wildcard listener answers on every interface: its addresses are names clients may use. (A DNS
        // name still has to be configured: that is what stops a rebinding page.)
        if bound.contains(where: \.isUnspecified) { hosts += SocketAddress.interfaceHosts() }
        if let name = server.publicName { hosts.append(name) }
        allowedHosts = HostAllowList(names: hosts + server.allowedHosts)
        webRoot = server.webRoot
    }
}
