/// `node`: this server's identity in a cluster.
public struct NodeSection: ConfigSection {
    public static let key = "node"
    /// The node id (letters, digits, `.`, `_`, `-`; at most 64): the owner named in PostgreSQL leases, and what
    /// logs and headers report. Every node sharing one database needs its own.
    public var id: String

    public init(from object: ConfigObject) throws {
        id = try object.string("id", default: "node-1")
        guard id.utf8.count <= 64, id.unicodeScalars.allSatisfy({ NodeSection.allowed($0) }) else {
            throw object.error("id", "must be 1 to 64 letters, digits, '.', '_' or '-' (got \"\(id)\")")
        }
    }

    private static func allowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": return true
        default: return false
        }
    }
}
