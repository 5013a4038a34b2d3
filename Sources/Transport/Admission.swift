/// The process-wide connection budget shared by every listener of a server.
///
/// A connection over the limit is still accepted (so the layer above can answer it, e.g. HTTP 503) but is
/// marked not admitted and does not count. Beyond twice the limit, connections are closed without an answer.
public final class Admission: @unchecked Sendable {
    /// The most admitted connections open at once.
    public let maxConnections: Int
    private let counts = Locked((admitted: 0, refused: 0))

    public init(maxConnections: Int) { self.maxConnections = maxConnections }

    /// Admitted connections open now.
    public var openConnections: Int { counts.withLock { $0.admitted } }

    enum Decision { case admit, refuseWithAnswer, drop }

    func decide() -> Decision {
        counts.withLock { counts in
            if counts.admitted < maxConnections { counts.admitted += 1; return .admit }
            if counts.refused < maxConnections { counts.refused += 1; return .refuseWithAnswer }
            return .drop
        }
    }

    func release(_ decision: Decision) {
        counts.withLock { counts in
            switch decision {
            case .admit: counts.admitted -= 1
            case .refuseWithAnswer: counts.refused -= 1
            case .drop: break
            }
        }
    }
}
