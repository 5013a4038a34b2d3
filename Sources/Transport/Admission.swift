/// The connection budget shared by every listener of a server: a total, and a share per source address
/// so one client cannot take every slot.
///
/// A connection over either limit is still accepted (so the layer above can answer it, e.g. HTTP 503) but
/// is marked not admitted and does not count. Beyond `maxConnections` such refusals at once, further
/// connections are closed without an answer.
public final class Admission: Sendable {
    /// The most admitted connections open at once.
    public let maxConnections: Int
    /// The most admitted connections open at once from one source address (host, any port).
    public let maxConnectionsPerAddress: Int
    private let counts = Locked((admitted: 0, refused: 0, perAddress: [String: Int]()))

    public init(maxConnections: Int, maxConnectionsPerAddress: Int = .max) {
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
    }

    /// Admitted connections open now.
    public var openConnections: Int { counts.withLock { $0.admitted } }

    /// Admitted connections open now from `address` (a host, as `SocketAddress.host` writes it).
    public func openConnections(from address: String) -> Int { counts.withLock { $0.perAddress[address] ?? 0 } }

    /// What happens to an accepted socket.
    public enum Decision: Sendable, Equatable {
        /// Counted; served.
        case admit
        /// Over a limit: answered with a refusal, then closed.
        case refuseWithAnswer
        /// Far over the limit: closed at once.
        case drop
    }

    /// Decides for a new connection from `address` and counts it.
    public func decide(address: String) -> Decision {
        counts.withLock { counts in
            let mine = counts.perAddress[address] ?? 0
            if counts.admitted < maxConnections && mine < maxConnectionsPerAddress {
                counts.admitted += 1
                counts.perAddress[address] = mine + 1
                return .admit
            }
            if counts.refused < maxConnections { counts.refused += 1; return .refuseWithAnswer }
            return .drop
        }
    }

    /// Uncounts a connection from `address` decided `decision`, when it closes.
    public func release(_ decision: Decision, address: String) {
        counts.withLock { counts in
            switch decision {
            case .admit:
                counts.admitted -= 1
                let mine = (counts.perAddress[address] ?? 1) - 1
                counts.perAddress[address] = mine > 0 ? mine : nil
            case .refuseWithAnswer: counts.refused -= 1
            case .drop: break
            }
        }
    }
}
