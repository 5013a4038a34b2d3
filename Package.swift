// swift-tools-version:6.0
import PackageDescription

// Module map (see docs/ARCHITECTURE.md): pure codecs (WebSocket, HTTP, Raster) know nothing of sockets;
// Transport owns sockets/epoll/TLS; Server joins codecs and transport; Sessions and Guidance are
// product logic tested with in-memory peers (SQLiteStore and PostgresStore are the durable stores behind Sessions' OperationStore);
// FaceModel is the inference runtime; App wires it all.
let v5: [SwiftSetting] = [.swiftLanguageMode(.v5), .unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
// Modules that parse network input keep Swift's overflow and bounds checks in release builds: a missed
// check there is a memory-safety hole reachable by any client, not a wrong pixel.
let checked: [SwiftSetting] = [.swiftLanguageMode(.v5)]
// Swift 6 language mode (complete concurrency checking) where it was cheap: the codecs, Transport, Server.
let checkedSwift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "SketchFace",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sketchface", targets: ["sketchface"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLinux"),

        .target(name: "WebSocket", dependencies: ["COpenSSL"], swiftSettings: checkedSwift6),
        .target(name: "HTTP", swiftSettings: checkedSwift6),
        .target(name: "Transport", dependencies: ["COpenSSL", "CLinux", .product(name: "Logging", package: "swift-log")], swiftSettings: checkedSwift6),
        .target(name: "Server", dependencies: ["WebSocket", "HTTP", "Transport", .product(name: "Logging", package: "swift-log")], swiftSettings: checkedSwift6),
        .target(name: "Raster", swiftSettings: v5),
        .target(name: "Sessions", dependencies: ["Raster", .product(name: "Logging", package: "swift-log")], swiftSettings: checked),
        // SQLiteStore decodes what Sessions wrote (and a damaged log must not become a memory-safety hole): checked like Sessions.
        // StoreQueue: the storage-thread queue both stores share (threads stay out of Sessions).
        .target(name: "StoreQueue", swiftSettings: checked),
        .target(name: "SQLiteStore", dependencies: ["Sessions", "StoreQueue", "CSQLite"], swiftSettings: checked),
        // PostgresStore: the shared store of a cluster (leases, fencing); decodes what Sessions wrote, checked likewise.
        .target(name: "PostgresStore", dependencies: ["Sessions", "StoreQueue", "CPostgres"], swiftSettings: checked),
        .target(name: "FaceModel", dependencies: ["COpenBLAS", "CPNG"], swiftSettings: v5),
        .target(name: "Guidance", dependencies: ["Sessions", "FaceModel", "Raster", .product(name: "Logging", package: "swift-log")], swiftSettings: v5),
        .target(name: "App", dependencies: ["Server", "Transport", "Sessions", "SQLiteStore", "PostgresStore", "Guidance", "FaceModel", .product(name: "Logging", package: "swift-log")], swiftSettings: checked),
        .executableTarget(name: "runtime-bench", dependencies: ["FaceModel"], path: "bench/runtime/Sources", swiftSettings: v5),
        .executableTarget(name: "store-bench", dependencies: ["Sessions", "SQLiteStore", "PostgresStore"], path: "bench/store/Sources", swiftSettings: checked),
        .executableTarget(name: "sketchface", dependencies: ["App", "FaceModel", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log")], swiftSettings: v5),

        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket"], swiftSettings: v5),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"], swiftSettings: v5),
        .testTarget(name: "ServerTests", dependencies: ["Server", "App", "Transport"], swiftSettings: v5),
        .testTarget(name: "RasterTests", dependencies: ["Raster"], swiftSettings: v5),
        .testTarget(name: "SessionsTests", dependencies: ["Sessions", "SQLiteStore", "PostgresStore", "Raster"], swiftSettings: v5),
        .testTarget(name: "FaceModelTests", dependencies: ["FaceModel"], resources: [.copy("Fixtures")], swiftSettings: v5),
        .testTarget(name: "GuidanceTests", dependencies: ["Guidance", "Sessions", "FaceModel"], swiftSettings: v5),
    ]
)
