import HTTP
import Transport

/// What a route handler knows about the request besides the request itself.
public struct RequestContext: Sendable {
    /// The client's address.
    public let peer: SocketAddress
    /// Whether the request came over TLS.
    public let isSecure: Bool
    /// The connection's event loop; deferred responses may be produced from any thread.
    public let loop: EventLoop
    /// The decoded part of the path after the route's prefix (empty for exact routes).
    public let remainder: Substring
}

/// How a route's path is matched against the request path (without the query).
public enum PathMatch: Sendable, Hashable {
    /// The path must be exactly this.
    case exact(String)
    /// The path must start with this (e.g. `/api/sessions/`); the longest matching prefix wins.
    case prefix(String)
}

/// The routes of a server: HTTP routes (exact or prefix path → handler) and WebSocket routes
/// (exact or prefix path → handler factory). Register every route before the server starts; the table is
/// read-only afterwards (that is what makes it safe to share between loops without locks).
///
/// A GET route also answers HEAD (same headers, no body). A path that matches with the wrong method is
/// answered 405 with `Allow`. Paths that no route claims fall through to the static files.
// @unchecked: routes are appended before the server starts and only read afterwards (the documented contract).
public final class Router: @unchecked Sendable {
    /// A synchronous handler: runs on the connection's loop and must not block.
    public typealias Handler = (HTTPRequest, RequestContext) -> HTTPResponse
    /// A deferred handler: calls `respond` exactly once, from any thread (e.g. after work on another thread).
    public typealias DeferredHandler = (HTTPRequest, RequestContext, _ respond: @escaping @Sendable (HTTPResponse) -> Void) -> Void
    /// Builds the handler of a new WebSocket, or nil to refuse the upgrade with 404.
    public typealias WebSocketFactory = (WebSocketRequest) -> WebSocketHandler?
    /// Builds the handler of a new WebSocket later: calls `open` exactly once, from any thread, with the handler
    /// or nil to refuse the upgrade with 404 (for a decision that needs work off the event loop).
    public typealias DeferredWebSocketFactory = (WebSocketRequest, _ open: @escaping @Sendable (WebSocketHandler?) -> Void) -> Void

    enum Responder {
        case immediate(Handler)
        case deferred(DeferredHandler)
    }

    struct HTTPRoute {
        let match: PathMatch
        let methods: Set<String>
        let responder: Responder
    }

    struct WebSocketRoute {
        let match: PathMatch
        let factory: DeferredWebSocketFactory
    }

    private(set) var httpRoutes: [HTTPRoute] = []
    private(set) var webSocketRoutes: [WebSocketRoute] = []

    public init() {}

    /// Adds an HTTP route answered synchronously on the event loop.
    public func add(_ match: PathMatch, methods: Set<String> = ["GET"], _ handler: @escaping Handler) {
        httpRoutes.append(HTTPRoute(match: match, methods: methods, responder: .immediate(handler)))
    }

    /// Adds an HTTP route answered later through `respond` (for work done off the event loop). Responses on a
    /// connection stay in request order: the connection reads no further request until this one is answered.
    public func addDeferred(_ match: PathMatch, methods: Set<String> = ["GET"], _ handler: @escaping DeferredHandler) {
        httpRoutes.append(HTTPRoute(match: match, methods: methods, responder: .deferred(handler)))
    }

    /// Adds a WebSocket route: upgrade requests whose path matches go to `factory`. An exact route wins
    /// over prefixes, then the longest prefix, as for HTTP routes.
    public func addWebSocket(_ match: PathMatch, _ factory: @escaping WebSocketFactory) {
        addDeferredWebSocket(match) { request, open in open(factory(request)) }
    }

    /// Adds a WebSocket route whose handler is built later (`open`); the connection reads nothing further until
    /// then, and a client that closes meanwhile is simply gone.
    public func addDeferredWebSocket(_ match: PathMatch, _ factory: @escaping DeferredWebSocketFactory) {
        webSocketRoutes.append(WebSocketRoute(match: match, factory: factory))
    }

    /// Adds a WebSocket route for every path starting with `prefix`.
    public func addWebSocket(prefix: String, _ factory: @escaping WebSocketFactory) {
        addWebSocket(.prefix(prefix), factory)
    }

    /// The outcome of looking up an HTTP request.
    enum Lookup {
        case found(Responder, remainder: Substring)
        case wrongMethod(allowed: Set<String>)
        case none
    }

    func lookup(method: String, path: Substring) -> Lookup {
        let top = Self.bestMatches(httpRoutes, \.match, path: path)
        guard !top.isEmpty else { return .none }
        let effective = method == "HEAD" ? "GET" : method
        if let hit = top.first(where: { $0.route.methods.contains(method) || $0.route.methods.contains(effective) }) {
            return .found(hit.route.responder, remainder: hit.remainder)
        }
        var allowed = Set(top.flatMap(\.route.methods))
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .wrongMethod(allowed: allowed)
    }

    /// The WebSocket route for `path` and the part of the path after its prefix.
    func webSocketRoute(for path: Substring) -> (route: WebSocketRoute, remainder: Substring)? {
        Self.bestMatches(webSocketRoutes, \.match, path: path).first.map { ($0.route, $0.remainder) }
    }

    /// The routes matching `path` best: exact ones, else those with the longest matching prefix.
    private static func bestMatches<Route>(_ routes: [Route], _ match: KeyPath<Route, PathMatch>,
                                           path: Substring) -> [(route: Route, remainder: Substring)] {
        var candidates: [(route: Route, remainder: Substring, rank: Int)] = []
        for route in routes {
            switch route[keyPath: match] {
            case .exact(let exact) where path == exact:
                candidates.append((route, "", Int.max))
            case .prefix(let prefix) where path.hasPrefix(prefix):
                candidates.append((route, path.dropFirst(prefix.count), prefix.count))
            default:
                continue
            }
        }
        guard let best = candidates.map(\.rank).max() else { return [] }
        return candidates.filter { $0.rank == best }.map { ($0.route, $0.remainder) }
    }
}
