/// `storage`: where sessions are kept durably (docs/SESSIONS.md, "Durability" and "Leases and fencing").
public struct StorageSection: ConfigSection {
    public static let key = "storage"
    /// A libpq connection string (`host=db.internal dbname=sketchface user=sketchface`, or a `postgresql://` URI)
    /// selecting the shared PostgreSQL store; nil (the default) keeps the embedded SQLite store under
    /// `server.data_dir`.
    public var postgresql: String?
    /// Seconds a session's lease lasts without renewal (renewed every third of it); PostgreSQL only.
    public var leaseSeconds: Int

    public init(from object: ConfigObject) throws {
        postgresql = try object.optionalString("postgresql")
        leaseSeconds = try object.integer("lease_seconds", default: 10, in: 3...3600)
    }
}
