/// Every layer's routes, in registration order. One line per layer.
let routeProviders: [any RouteProvider.Type] = [
    EchoRoutes.self,
    SessionService.self,
    GuidanceRoutes.self,
]
