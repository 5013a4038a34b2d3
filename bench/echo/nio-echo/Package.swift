// swift-tools-version:5.9
// A minimal SwiftNIO WebSocket echo server: the reference the SketchFace echo benchmark compares against.
// Separate package so SketchFace itself never depends on SwiftNIO.
import PackageDescription

let package = Package(
    name: "nio-echo",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
    ],
    targets: [
        .executableTarget(name: "NIOEcho", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),
    ]
)
