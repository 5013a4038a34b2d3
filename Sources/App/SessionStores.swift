import PostgresStore
import Sessions
import SQLiteStore

/// Opens the operation store the configuration selects: PostgreSQL when `storage.postgresql` is set (shared by
/// the nodes of a cluster, leases held as `node.id`), else the embedded SQLite database under the data directory.
enum SessionStores {
    /// The store and a description of where it keeps its data, for the log (never the connection string: it may
    /// hold a password).
    static func open(storage: StorageSection, sessions: SessionsSection, dataDirectory: String,
                     nodeID: String) throws -> (store: OperationStore, location: String) {
        if let conninfo = storage.postgresql {
            let store = try PostgresOperationStore(conninfo: conninfo, nodeID: nodeID, leaseSeconds: Double(storage.leaseSeconds),
                                                   groupCommit: sessions.groupCommit)
            return (store, "postgresql (node \(nodeID), lease \(storage.leaseSeconds) s)")
        }
        let store = try SQLiteOperationStore(directory: dataDirectory, groupCommit: sessions.groupCommit, synchronous: sessions.synchronous)
        return (store, store.path)
    }
}
