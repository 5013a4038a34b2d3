import Foundation

/// `node`: this server's identity in a cluster, and how it drains.
public struct NodeSection: ConfigSection {
    public static let key = "node"
    /// The node id (letters, digits, `.`, `_`, `-`; at most 64): the owner named in PostgreSQL leases, the
    /// `X-SketchFace-Node` header of every response and the `node` of every log line. Every node sharing one
    /// database needs its own; the default, the machine's host name, differs between machines.
    public var id: String
    /// Milliseconds between the start of a drain (health check failing, no new sessions) and the hand-over of the
    /// sessions still here. 0 (the default) suits a proxy that cuts a node's connections when it marks it down
    /// (HAProxy's `on-marked-down shutdown-sessions`, Config/haproxy.cfg): the clients must get the 4503 first.
    public var drainGraceMilliseconds: Int

    public init(from object: ConfigObject) throws {
        id = try object.optionalString("id") ?? ProcessInfo.processInfo.hostName
        guard id.utf8.count <= 64, id.unicodeScalars.allSatisfy({ NodeSection.allowed($0) }) else {
            throw object.error("id", "must be 1 to 64 letters, digits, '.', '_' or '-' (got \"\(id)\")")
        }
        drainGraceMilliseconds = try object.integer("drain_grace_ms", default: 0, in: 0...60_000)
    }

    private static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": return true
        default: return false
        }
    }
}
