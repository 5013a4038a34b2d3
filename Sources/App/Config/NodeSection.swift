import Foundation

/// `node`: this server's identity among several behind a proxy, and how it drains.
public struct NodeSection: ConfigSection {
    public static let key = "node"
    /// The node's id: sent as `X-SketchFace-Node` on every response and named in every log line.
    public var id: String
    /// Milliseconds between the start of a drain (health check failing, no new sessions) and the hand-over of the
    /// sessions still here: long enough for the proxy's health check to take the node out of rotation, so clients
    /// that reconnect land on another node.
    public var drainGraceMilliseconds: Int

    public init(from object: ConfigObject) throws {
        let id = try object.optionalString("id") ?? ProcessInfo.processInfo.hostName
        guard !id.isEmpty, id.utf8.count <= 64, id.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw object.error("id", "must be 1 to 64 printable ASCII characters without spaces (got \"\(id)\")")
        }
        self.id = id
        drainGraceMilliseconds = try object.integer("drain_grace_ms", default: 2000, in: 0...60_000)
    }
}
