import Foundation
import HTTP
import Logging
import Server
import Sessions

/// The sessions part of the app: the hub over the store `Application` opened (SQLite, or PostgreSQL shared by
/// nodes), the HTTP and WebSocket routes, and the idle-expiry sweep.
///
/// Routes: `POST /new` → 303 to `/s/<id>` (403 from a foreign page's `Origin`; 429 over the per-address creation
/// rate and 503 when full or draining, all 429/503 with `Retry-After`); `GET /new` → a page whose button posts there (GET and HEAD never create state, so links,
/// prefetchers and cross-site `<img>` cannot); `GET /s/<id>` → the client page (404 page for an unknown id);
/// `GET /s/<id>/sketch.pgm` → the server raster (503 with `Retry-After` while another node holds the session's lease,
/// as for `history`); `GET /s/<id>/replay` → the replay page;
/// `GET /s/<id>/history?after=N` → a page of the op log (JSON, at most `snapshot_page_bytes`, read on the session's
/// queue: it may load the session); WebSocket `/ws/<id>` (404 when unknown). While the node drains, a session it
/// no longer serves is answered 503 (`/s/…`) or 404 (`/ws/…`), so the client retries through the proxy. An id this
/// node does not hold is looked up in a store shared by nodes off the event loop (`SessionDiscovery`; 503 with
/// `Retry-After` on `/s/…` while too many lookups wait).
/// `/` is web/index.html, served by the static files. No route touches the disk: the page is read at start-up
/// and writes go through the store's writer thread.
public final class SessionService: RouteProvider {
    /// The sessions; Guidance sets `hub.observer`.
    public let hub: SessionHub
    private let sketchPage: [UInt8]?
    private let replayPage: [UInt8]?
    private let logger: Logger
    private var sweep: DispatchSourceTimer?
    private let queues: SessionQueues
    private let drain: Drain
    private let creations: SessionCreationLimiter
    /// Finds sessions other nodes created, off the event loops.
    let discovery: SessionDiscovery
    /// Origins besides this server's own whose pages may create sessions (`server.allowed_origins`).
    private let allowedOrigins: Set<String>
    /// Seconds a client refused for a full server is told to wait: one expiry sweep.
    private let fullRetryAfterSeconds: Int

    /// Serves `hub` (restored from its store here) with the client pages under `webRoot`; `queues` and `drain` are
    /// shared with the node's drain.
    init(section: SessionsSection, hub: SessionHub, queues: SessionQueues, drain: Drain, webRoot: String,
         creationsPerMinute: Int, allowedOrigins: [String], logger: Logger) throws {
        self.logger = logger
        self.hub = hub
        self.queues = queues
        self.drain = drain
        discovery = SessionDiscovery(hub: hub)
        self.allowedOrigins = Set(allowedOrigins.map { $0.lowercased() })
        creations = SessionCreationLimiter(perMinute: creationsPerMinute)
        fullRetryAfterSeconds = section.expirySweepSeconds
        let started = Date()
        hub.onProblem = { [logger] problem in logger.error("session load: \(problem)") }
        try hub.restore()
        logger.info("sessions restored", metadata: ["sessions": "\(hub.sessionCount)",
            "ms": "\(Int(Date().timeIntervalSince(started) * 1000))"])
        sketchPage = FileManager.default.contents(atPath: (webRoot as NSString).appendingPathComponent("sketch.html")).map { Array($0) }
        if sketchPage == nil { logger.error("web root has no sketch.html: /s/<id> will answer 500", metadata: ["web_root": "\(webRoot)"]) }
        replayPage = FileManager.default.contents(atPath: (webRoot as NSString).appendingPathComponent("replay.html")).map { Array($0) }
        if replayPage == nil { logger.error("web root has no replay.html: /s/<id>/replay will answer 500", metadata: ["web_root": "\(webRoot)"]) }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "sessions-expiry"))
        let interval = Double(section.expirySweepSeconds)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [hub, logger, queues] in
            for id in hub.expireIdle() {
                queues.remove(id)
                logger.info("session expired", metadata: ["session": "\(id.logName)"])
            }
            hub.evictIdle()
        }
        timer.resume()
        sweep = timer
    }

    /// Registers the session routes.
    public func register(on router: Router) {
        // Deferred: the creation is committed before the redirect (the proxy may route the new session to another
        // node, which must find it in the shared store), off the event loop.
        router.addDeferred(.exact("/new"), methods: ["POST"]) { [hub, creations, fullRetryAfterSeconds, allowedOrigins, logger, drain] request, context, respond in
            guard let refusal = SessionService.creationRefusal(request, context, drain: drain, creations: creations,
                                                               allowedOrigins: allowedOrigins, logger: logger) else {
                return DispatchQueue.global(qos: .userInitiated).async {
                    respond(SessionService.create(in: hub, fullRetryAfterSeconds: fullRetryAfterSeconds))
                }
            }
            respond(refusal)
        }
        router.add(.exact("/new"), methods: ["GET"]) { _, _ in
            SessionService.page(.ok, title: "New sketch", text: """
                <form method="post" action="/new"><button class="primary" type="submit">Start a new sketch</button></form>
                """)
        }
        // Deferred: these answers may load the session from the store (sessions load on first access) and page its
        // history, so they run on the session's serial queue (as its WebSocket messages do), never on the event loop.
        router.addDeferred(.prefix("/s/")) { [hub, discovery, sketchPage, replayPage, queues, drain] request, context, respond in
            let parts = context.remainder.split(separator: "/", omittingEmptySubsequences: false)
            guard let first = parts.first, let id = SessionID(String(first)), parts.count <= 2 else {
                return respond(SessionService.notFound)
            }
            guard drain.admits(id) else { return respond(SessionService.moving) }
            let part = parts.count == 2 ? String(parts[1]) : nil
            let query = request.query.map(String.init)
            // A session another node created after this one started is found in the (shared) store, off the loop.
            discovery.find(id) { outcome in
                switch outcome {
                case .unknown: respond(SessionService.notFound)
                case .busy: respond(SessionService.busy)
                case .found:
                    queues.queue(for: id).async {
                        respond(SessionService.sessionResponse(hub: hub, id: id, part: part, query: query,
                                                               sketchPage: sketchPage, replayPage: replayPage))
                    }
                }
            }
        }
        router.addDeferredWebSocket(.prefix("/ws/")) { [hub, discovery, queues, drain] request, open in
            guard let id = SessionID(String(request.remainder)), drain.admits(id) else { return open(nil) }
            discovery.find(id) { outcome in
                guard outcome == .found else { return open(nil) }
                open(SessionSocket(hub: hub, session: id, queue: queues.queue(for: id), helloTimeout: hub.config.helloTimeout,
                                   admitted: { drain.admits(id) }))
            }
        }
    }

    /// Closes every session connection (1001); `Application` then closes the store, which commits what is queued.
    public func shutdown() {
        sweep?.cancel()
        hub.closeAll()
    }

    /// Why `POST /new` is refused before anything is created (draining, a foreign page, over the rate), nil when it
    /// may create.
    static func creationRefusal(_ request: HTTPRequest, _ context: RequestContext, drain: Drain, creations: SessionCreationLimiter,
                                allowedOrigins: Set<String>, logger: Logger) -> HTTPResponse? {
        guard drain.isServing else {
            var response = SessionService.page(.serviceUnavailable, title: "Not here",
                text: "This server is being taken out of service. <a href=\"/\">Start from the front page</a>.")
            response.headers.add(name: "Retry-After", value: "1")
            return response
        }
        // A browser names the page that posts; a foreign page's auto-submitted form must not create sessions.
        if let origin = request.headers["Origin"], !request.isSameOrigin(isSecure: context.isSecure),
           !allowedOrigins.contains(origin.lowercased()) {
            return SessionService.page(.forbidden, title: "Not from here",
                                       text: "Sketches are started from this site's own page. <a href=\"/\">Go there</a>.")
        }
        guard creations.allow(context.peer.host, now: Date().timeIntervalSince1970) else {
            logger.notice("session creation refused: rate", metadata: ["peer": "\(context.peer.host)"])
            var response = SessionService.page(.tooManyRequests, title: "Slow down",
                text: "You started many sketches in the last minute. Try again shortly.")
            response.headers.add(name: "Retry-After", value: String(creations.retryAfterSeconds))
            return response
        }
        return nil
    }

    /// Creates a session and publishes it (committed, and not owned here, so whichever node the proxy routes it to
    /// takes it): 303 to its page, or 503 when this node holds as many sessions as it may. Blocks on the store.
    static func create(in hub: SessionHub, fullRetryAfterSeconds: Int) -> HTTPResponse {
        do {
            let id = try hub.createSession()
            hub.publish(id)
            return HTTPResponse(status: HTTPStatus(code: 303, reasonPhrase: "See Other"),
                                headers: ["Location": "/s/\(id.text)", "Cache-Control": "no-store"])
        } catch {
            var response = SessionService.page(.serviceUnavailable,
                title: "Too many sketches", text: "This server holds as many sketches as it may. Try again later.")
            response.headers.add(name: "Retry-After", value: String(fullRetryAfterSeconds))
            return response
        }
    }

    /// The answer for `/s/<id>` (`part` nil) or `/s/<id>/<part>`, on the session's queue.
    static func sessionResponse(hub: SessionHub, id: SessionID, part: String?, query: String?,
                                sketchPage: [UInt8]?, replayPage: [UInt8]?) -> HTTPResponse {
        switch part {
        case nil:
            break
        case "sketch.pgm":
            guard let canvas = hub.canvas(of: id) else { return SessionService.unreadable(id, in: hub) }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "image/x-portable-graymap", "Cache-Control": "no-store"],
                                body: canvas.pgm())
        case "replay":
            guard let replayPage else { return .text(HTTPStatus(code: 500), "500 replay page missing\n") }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"],
                                body: replayPage)
        case "history":
            guard let page = hub.historyPage(of: id, after: SessionService.seq("after", in: query.map { Substring($0) })) else {
                return SessionService.unreadable(id, in: hub)
            }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "no-store",
                                                       "X-Sketchface-Undo-Reach": String(hub.config.undoReach)],
                                body: Array(page.utf8))
        default:
            return SessionService.notFound
        }
        if hub.damage(of: id) != nil {
            return SessionService.page(HTTPStatus(code: 503, reasonPhrase: "Service Unavailable"), title: "This sketch is damaged",
                text: "Its stored history could not be read completely, so it is read-only until the server's operator recovers it. "
                    + "Its last readable state is <a href=\"/s/\(id.text)/sketch.pgm\">here</a>.")
        }
        guard let sketchPage else { return .text(HTTPStatus(code: 500), "500 client page missing\n") }
        return HTTPResponse(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"],
                            body: sketchPage)
    }

    /// Why a session's drawing could not be read: still registered here means another node holds its lease (503
    /// with `Retry-After`, like a session moving away in a drain: the owner lets go or the proxy's stick table
    /// sends the retry there), else it is gone (404).
    static func unreadable(_ id: SessionID, in hub: SessionHub) -> HTTPResponse {
        hub.contains(id) ? moving : notFound
    }

    /// A seq in a query (`after=N` for history, `seq=N` for replay faces); 0 when absent or not a number.
    static func seq(_ name: String, in query: Substring?) -> Int {
        for pair in (query ?? "").split(separator: "&") where pair.hasPrefix(name + "=") {
            return Int(pair.dropFirst(name.count + 1)) ?? 0
        }
        return 0
    }

    static let moving: HTTPResponse = {
        var response = page(.serviceUnavailable, title: "Moving",
                            text: "This sketch is moving to another server. Reload in a moment.")
        response.headers.add(name: "Retry-After", value: "1")
        return response
    }()

    /// Too many lookups of sessions unknown here wait for the store.
    static let busy: HTTPResponse = {
        var response = page(.serviceUnavailable, title: "Busy", text: "This server is busy. Reload in a moment.")
        response.headers.add(name: "Retry-After", value: "1")
        return response
    }()

    static let notFound = page(.notFound, title: "Sketch not found",
                               text: "This sketch does not exist or has expired. <a href=\"/\">Start a new one</a>.")

    static func page(_ status: HTTPStatus, title: String, text: String) -> HTTPResponse {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>\(title) — SketchFace</title>
            <link rel="stylesheet" href="/css/app.css"></head><body class="landing"><main class="hero">
            <h1>\(title)</h1><p>\(text)</p></main></body></html>
            """
        return HTTPResponse(status: status, headers: ["Content-Type": "text/html; charset=utf-8"], body: Array(html.utf8))
    }
}
