import HTTP
import Logging
import Server
import Sessions
import Transport

/// SketchFace assembled: the object graph built explicitly from `Config` — store → hub → guidance → routes — and
/// the HTTP/WebSocket server serving them as node `node.id`.
///
/// ```swift
/// let app = try Application(config: config, logger: logger)
/// try app.start()          // binds; app.server.httpAddress has the real port; /healthz turns 200
/// app.drain()              // SIGUSR1: stop taking sessions, hand the ones here over
/// app.shutdown()
/// ```
public final class Application {
    public let config: Config
    /// This node's id (`node.id`): the `X-SketchFace-Node` header of every response and the `node` of every log line.
    public let nodeID: String
    /// The server; `server.router` accepts extra routes until `start()` (tests add their own).
    public let server: HTTPServer
    /// The durable store every session's operations go to (SQLite, or PostgreSQL shared by the nodes).
    let store: OperationStore
    /// The sessions of this node.
    public let hub: SessionHub
    let sessions: SessionService
    let guidance: GuidanceRoutes
    let node: NodeRoutes
    let drainControl: Drain
    /// Every route provider, in registration order.
    let providers: [any RouteProvider]
    private let logger: Logger

    /// Opens the store (or uses `store`: tests inject one) and builds every layer on it. Throws when the store
    /// cannot be opened or read.
    public init(config: Config, logger: Logger, store injected: OperationStore? = nil) throws {
        self.config = config
        let nodeSection = config[NodeSection.self]
        nodeID = nodeSection.id
        var logger = logger
        logger[metadataKey: "node"] = "\(nodeID)"
        self.logger = logger
        var serverConfiguration = ServerConfiguration(config)
        serverConfiguration.responseHeaders.add(name: "X-SketchFace-Node", value: nodeID)
        server = HTTPServer(configuration: serverConfiguration, logger: logger)

        let serverSection = config[ServerSection.self]
        let section = config[SessionsSection.self]
        if let injected {
            store = injected
        } else {
            let opened = try SessionStores.open(storage: config[StorageSection.self], sessions: section,
                                                dataDirectory: serverSection.dataDirectory, nodeID: nodeID)
            store = opened.store
            logger.info("store opened", metadata: ["database": "\(opened.location)"])
        }
        hub = SessionHub(config: section.limits, store: store)
        let queues = SessionQueues()
        drainControl = Drain(hub: hub, queues: queues, graceMilliseconds: nodeSection.drainGraceMilliseconds, logger: logger)
        sessions = try SessionService(section: section, hub: hub, queues: queues, drain: drainControl, webRoot: serverSection.webRoot,
                                      creationsPerMinute: config[LimitsSection.self].sessionCreationsPerMinute,
                                      allowedOrigins: serverSection.allowedOrigins, logger: logger)
        guidance = GuidanceRoutes(section: config[GuidanceSection.self], modelPath: config[ModelSection.self].path,
                                  hub: hub, logger: logger)
        // SQLite: ready once open; PostgreSQL: its last round trip succeeded (never blocks).
        let store = store
        node = NodeRoutes(drain: drainControl, storeReady: { store.isReady() })
        var providers: [any RouteProvider] = [node, sessions, guidance]
        if serverSection.echo { providers.append(EchoRoutes()) }
        for provider in providers { provider.register(on: server.router) }
        self.providers = providers
    }

    /// The router, for adding routes before `start()`.
    public var router: Router { server.router }

    /// Binds the listeners and starts serving; `/healthz` answers 200 from here on (while the store is ready).
    public func start() throws {
        try server.start()
        node.markListening()
        logger.notice("node serving", metadata: ["node": "\(nodeID)"])
    }

    /// Begins a drain (`SIGUSR1`, `POST /admin/drain`): no new sessions, the sessions here are handed over after
    /// `node.drain_grace_ms`. False when a drain already began.
    @discardableResult
    public func drain() -> Bool { drainControl.begin() }

    /// Stops the server, then every provider (in reverse order), then the store (committing what is queued).
    public func shutdown() {
        server.shutdown()
        for provider in providers.reversed() { provider.shutdown() }
        store.close()
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
