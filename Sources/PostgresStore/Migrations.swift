/// The PostgreSQL schema as numbered migrations, applied in order by every node at start-up (under an advisory
/// lock, so nodes starting together migrate once). A released migration is never edited: a change is a new one.
/// `schema_version` lists the applied versions.
enum Migrations {
    static let all: [(version: Int, sql: String)] = [
        (1, """
            CREATE TABLE sessions(id text PRIMARY KEY, created double precision NOT NULL,
                                  last_active double precision NOT NULL);
            CREATE TABLE ops(session text NOT NULL, seq integer NOT NULL, body text NOT NULL, PRIMARY KEY(session, seq));
            CREATE TABLE participants(session text NOT NULL, client text NOT NULL, token text NOT NULL,
                                      PRIMARY KEY(session, client));
            -- One row per session ever owned: epochs only grow (a release expires the row, never deletes it).
            CREATE TABLE leases(session text PRIMARY KEY, owner text NOT NULL, epoch bigint NOT NULL,
                                expires timestamptz NOT NULL);
            """),
        // Raster checkpoints, the newest per session (derived from the ops: replaced, and ignored when unusable).
        (2, "CREATE TABLE checkpoints(session text PRIMARY KEY, seq integer NOT NULL, body bytea NOT NULL);"),
    ]

    /// Latest version this build knows.
    static var latest: Int { all.last?.version ?? 0 }

    /// Brings the database to `latest`; throws when a migration fails or the schema is newer than this build.
    static func apply(on db: PostgresConnection) throws {
        try db.transaction {
            // Any constant works as the key: it only serialises nodes migrating at the same time (waiting as
            // long as the other node's migration takes, whatever the connection's lock_timeout).
            try db.run("SET LOCAL lock_timeout = 0")
            try db.run("SELECT pg_advisory_xact_lock(727465)")
            try db.run("CREATE TABLE IF NOT EXISTS schema_version(version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())")
            let row = try db.run("SELECT coalesce(max(version), 0) FROM schema_version").rows.first
            let current = row.flatMap { $0[0] }.flatMap { Int($0) } ?? 0
            guard current <= latest else { throw PostgresError.schemaTooNew(found: current, known: latest) }
            for migration in all where migration.version > current {
                do {
                    try db.execute(migration.sql)
                } catch {
                    throw PostgresError.migration(version: migration.version, message: "\(error)")
                }
                try db.run("INSERT INTO schema_version(version) VALUES($1)", [String(migration.version)])
            }
        }
    }
}
