import App
import ArgumentParser
import Foundation
import Logging
import Server

/// `sketchface serve`: runs the server until SIGINT or SIGTERM.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the SketchFace server (the default command).",
        discussion: """
        Settings come from the configuration file (see docs/CONFIG.md); each flag below overrides one key \
        of it. An invalid setting prints one line naming the key and exits with status 2. \
        SIGINT or SIGTERM shut the server down cleanly; SIGUSR1 drains the node (no new sessions, the sessions \
        here are handed over to the other nodes; see docs/SCALING.md).
        """
    )

    @Option(name: .long, help: ArgumentHelp("Configuration file (JSON). Default: Config/sketchface.json when it exists, else built-in defaults.", valueName: "path"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Plaintext HTTP listener host:port, or 'off' (listeners.http). Non-loopback needs --allow-insecure-public.", valueName: "address"))
    var http: String?

    @Option(name: .long, help: ArgumentHelp("TLS listener host:port, or 'off' (listeners.https).", valueName: "address"))
    var https: String?

    @Flag(name: .long, help: "Allow plaintext HTTP on a non-loopback address (listeners.allow_insecure_public).")
    var allowInsecurePublic = false

    @Option(name: .long, help: ArgumentHelp("PEM certificate chain for TLS (tls.certificate); needs --key. Without both, a development certificate is generated in the data directory.", valueName: "path"))
    var cert: String?

    @Option(name: .long, help: ArgumentHelp("PEM private key for TLS (tls.private_key).", valueName: "path"))
    var key: String?

    @Option(name: .long, help: ArgumentHelp("Directory for server state: development certificate, databases (server.data_dir).", valueName: "path"))
    var dataDir: String?

    @Option(name: .long, help: ArgumentHelp("Directory of the static web client (server.web_root).", valueName: "path"))
    var webRoot: String?

    @Option(name: .long, help: ArgumentHelp("Exported face model directory (model.path).", valueName: "path"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical (logging.level).", valueName: "level"))
    var logLevel: String?

    @Flag(name: .long, help: "Enable the /ws/echo WebSocket route (server.echo).")
    var echo = false

    @Option(name: .long, help: ArgumentHelp("Maximum open connections; more get 503 (limits.max_connections).", valueName: "n"))
    var maxConnections: Int?

    @Option(name: .long, help: ArgumentHelp("Event-loop threads (server.event_loops).", valueName: "n"))
    var eventLoops: Int?

    func run() throws {
        let loaded: Config
        let source: String
        do {
            (loaded, source) = try loadConfig()
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("sketchface: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let level = loaded[LoggingSection.self].level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sketchface")
        logger.notice("configuration loaded", metadata: ["source": "\(source)"])

        // Block the shutdown signals before any thread starts, so every thread inherits the mask and
        // only `sigwait` below sees them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGUSR1)
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let app: Application
        do {
            app = try Application(config: loaded, logger: logger)
            try app.start()
        } catch {
            FileHandle.standardError.write(Data("sketchface: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if let address = app.server.httpAddress { print("sketchface: serving \(Self.url("http", address))") }
        if let address = app.server.httpsAddress {
            print("sketchface: serving \(Self.url("https", address))")
            if let fingerprint = app.server.certificateFingerprint {
                let kind = app.server.developmentCertificate != nil ? "development certificate" : "certificate"
                print("sketchface: TLS \(kind) SHA-256 fingerprint \(fingerprint)")
            }
        }
        fflush(stdout)

        var received: Int32 = 0
        while sigwait(&signals, &received) == 0 && received == SIGUSR1 {
            logger.notice("drain requested", metadata: ["signal": "SIGUSR1", "began": "\(app.drain())"])
        }
        logger.notice("shutting down", metadata: ["signal": "\(received == SIGINT ? "SIGINT" : "SIGTERM")"])
        app.shutdown()
        logger.notice("stopped")
    }

    /// A wildcard listener is reachable as localhost from this machine; say so instead of printing 0.0.0.0.
    private static func url(_ scheme: String, _ address: some CustomStringConvertible) -> String {
        let text = address.description
        if text.hasPrefix("0.0.0.0:") { return "\(scheme)://localhost:\(text.dropFirst(8))/ (all IPv4 interfaces)" }
        if text.hasPrefix("[::]:") { return "\(scheme)://localhost:\(text.dropFirst(5))/ (all interfaces)" }
        return "\(scheme)://\(text)/"
    }

    /// The validated configuration and where it came from (a path, or the built-in defaults).
    private func loadConfig() throws -> (Config, String) {
        var overrides: [ConfigOverride] = []
        func set(_ key: String, _ value: JSONValue?, _ flag: String) {
            if let value { overrides.append(ConfigOverride(key: key, value: value, flag: flag)) }
        }
        set("listeners.http", http.map { .string($0) }, "--http")
        set("listeners.https", https.map { .string($0) }, "--https")
        if allowInsecurePublic { set("listeners.allow_insecure_public", .bool(true), "--allow-insecure-public") }
        set("tls.certificate", cert.map { .string($0) }, "--cert")
        set("tls.private_key", key.map { .string($0) }, "--key")
        set("server.data_dir", dataDir.map { .string($0) }, "--data-dir")
        set("server.web_root", webRoot.map { .string($0) }, "--web-root")
        set("model.path", model.map { .string($0) }, "--model")
        set("logging.level", logLevel.map { .string($0) }, "--log-level")
        if echo { set("server.echo", .bool(true), "--echo") }
        set("limits.max_connections", maxConnections.map { .integer($0) }, "--max-connections")
        set("server.event_loops", eventLoops.map { .integer($0) }, "--event-loops")

        let defaultPath = "Config/sketchface.json"
        if let path = config {
            return (try Config.load(path: path, overrides: overrides), path)
        }
        if FileManager.default.fileExists(atPath: defaultPath) {
            return (try Config.load(path: defaultPath, overrides: overrides), defaultPath)
        }
        return (try Config.decode(.object([:]), overrides: overrides), "built-in defaults (no \(defaultPath) here)")
    }
}
