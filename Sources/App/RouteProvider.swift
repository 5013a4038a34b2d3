import Server

/// A layer that contributes routes (sessions, guidance, node, echo).
///
/// A provider is built by `Application` with the dependencies it needs passed to its initialiser (the object
/// graph is explicit: config → store → hub → guidance → routes; nothing is found through statics). To add one:
/// write `final class MyRoutes: RouteProvider` in its own file under `Sources/App/`, build it in
/// `Application.init` and append it to the list there. The application calls `register(on:)` before the server
/// starts and `shutdown()` after it stopped, in reverse order.
public protocol RouteProvider: AnyObject {
    /// Adds the layer's HTTP and WebSocket routes.
    func register(on router: Router)
    /// Releases resources after the server stopped (flush, close databases).
    func shutdown()
}

extension RouteProvider {
    public func shutdown() {}
}
