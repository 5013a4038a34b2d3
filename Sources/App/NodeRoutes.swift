import HTTP
import Server
import Transport

/// This node's own routes, for the proxy and the operator:
///
/// - `GET /healthz` → `200 ok` when the node is ready for new sessions: listening, its store reachable
///   (`storeReady`), not draining; `503` otherwise, its body saying why (`starting`, `store unreachable`,
///   `draining`, `drained`). HAProxy's `option httpchk GET /healthz` takes a node out of rotation on 503.
/// - `POST /admin/drain` → `202` (the drain began) or `200` (it had already); `403` unless the peer is a loopback
///   address. `SIGUSR1` does the same. The proxy must not forward `/admin/` (its own connections are loopback).
final class NodeRoutes: RouteProvider {
    private let drain: Drain
    private let storeReady: @Sendable () -> Bool
    private let listening = Locked(false)

    init(drain: Drain, storeReady: @escaping @Sendable () -> Bool) {
        self.drain = drain
        self.storeReady = storeReady
    }

    /// Called once the listeners are bound.
    func markListening() { listening.withLock { $0 = true } }

    /// Why the node is not ready, nil when it is.
    var unreadiness: String? {
        switch drain.phase {
        case .draining: return "draining"
        case .handingOver, .drained: return "drained"
        case .serving: break
        }
        if !listening.withLock({ $0 }) { return "starting" }
        if !storeReady() { return "store unreachable" }
        return nil
    }

    func register(on router: Router) {
        router.add(.exact("/healthz")) { [self] _, _ in
            let headers: HTTPHeaders = ["Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"]
            guard let reason = unreadiness else { return HTTPResponse(status: .ok, headers: headers, body: Array("ok\n".utf8)) }
            return HTTPResponse(status: .serviceUnavailable, headers: headers, body: Array("503 \(reason)\n".utf8))
        }
        router.add(.exact("/admin/drain"), methods: ["POST"]) { [drain] _, context in
            guard context.peer.isLoopback else { return .text(.forbidden, "403 Forbidden: /admin/ is for loopback clients only\n") }
            return drain.begin() ? .text(HTTPStatus(code: 202, reasonPhrase: "Accepted"), "202 draining\n") : .text(.ok, "200 already draining\n")
        }
    }
}
