import Logging
import Server
import Transport

/// What a layer gets when the application builds it.
public struct AppContext: Sendable {
    /// The validated configuration; read your own section with `config[MySection.self]`.
    public let config: Config
    public let logger: Logger
}

/// A layer that contributes routes (sessions, guidance, echo).
///
/// To add one: write `final class MyRoutes: RouteProvider` in its own file under `Sources/App/` and add
/// `MyRoutes.self` to `routeProviders` in `RouteProviders.swift`. The application builds every provider
/// before the server starts, calls `register(on:)`, and `shutdown()` after the server stopped.
public protocol RouteProvider: AnyObject {
    /// Builds the layer (open databases, load models). Throwing aborts startup with the error's text.
    init(context: AppContext) throws
    /// Adds the layer's HTTP and WebSocket routes.
    func register(on router: Router)
    /// Releases resources after the server stopped (flush, close databases).
    func shutdown()
}

extension RouteProvider {
    public func shutdown() {}
}
