import Foundation

/// A throwaway PostgreSQL server for tests and benchmarks: `initdb` into a fresh temporary directory and
/// `pg_ctl start` listening only on a Unix socket there (no TCP port to collide with), stopped and deleted by
/// `stop()`. Run as root it runs the server as the unprivileged `postgres` user (`nobody` without one), since
/// PostgreSQL refuses to run as root. The binaries come from `/usr/lib/postgresql/<version>/bin` (Debian's
/// `postgresql` package), the newest version found.
public final class TemporaryPostgres {
    /// The temporary directory (data directory `data`, the socket, the log `server.log`).
    public let directory: String
    private let bin: String
    private let user: String?
    private var running = false
    private let options: String

    /// Creates and starts the server. `fsync` false makes tests faster (a crash of the machine loses the data,
    /// which is thrown away anyway); benchmarks keep it on.
    public init(fsync: Bool = true) throws {
        guard let bin = TemporaryPostgres.binaries() else {
            throw PostgresError.connect("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
        }
        self.bin = bin
        var template = Array((NSTemporaryDirectory() + "sketchface-pg-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw PostgresError.connect("cannot create a temporary directory") }
        directory = String(cString: made)
        options = "-k \(directory) -c listen_addresses='' -c fsync=\(fsync ? "on" : "off") -c max_connections=50"
        if getuid() == 0 {
            let name = getpwnam("postgres") != nil ? "postgres" : "nobody"
            guard let account = getpwnam(name) else { throw PostgresError.connect("no unprivileged user to run PostgreSQL as") }
            chown(directory, account.pointee.pw_uid, account.pointee.pw_gid)
            chmod(directory, 0o700)
            user = name
        } else {
            user = nil
        }
        try command("initdb", ["-D", "\(directory)/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
        try startServer()
        running = true
    }

    /// Starts the server again after `stopServer` (its data kept).
    public func startServer() throws {
        try command("pg_ctl", ["-D", "\(directory)/data", "-l", "\(directory)/server.log", "-o", options, "-w", "start"])
    }

    /// Stops the server, keeping its data (tests of a database restart); `stop()` still cleans up.
    public func stopServer() throws {
        try command("pg_ctl", ["-D", "\(directory)/data", "-m", "fast", "-w", "stop"])
    }

    deinit { stop() }

    /// A connection string for `database` (default `postgres`), with `extra` libpq settings appended.
    public func conninfo(database: String = "postgres", extra: String = "") -> String {
        "host=\(directory) port=5432 user=postgres dbname=\(database) \(extra)"
    }

    /// A connection string whose tables live in a fresh schema `name`: a clean store per test without a database
    /// each (the schema is created here).
    public func freshSchema(_ name: String) throws -> String {
        let admin = try PostgresConnection(conninfo())
        try admin.run("CREATE SCHEMA \(name)")
        return conninfo(extra: "options='-c search_path=\(name)'")
    }

    /// Runs SQL on the server's `postgres` database (tests: expire a lease, damage a log).
    public func execute(_ sql: String, schema: String? = nil) throws {
        let admin = try PostgresConnection(conninfo(extra: schema.map { "options='-c search_path=\($0)'" } ?? ""))
        try admin.execute(sql)
    }

    /// Stops the server at once and deletes its directory.
    public func stop() {
        guard running else { return }
        running = false
        try? command("pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])   // fails harmlessly when stopped
        try? FileManager.default.removeItem(atPath: directory)
    }

    private static func binaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.reversed().map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    /// Runs one server binary (as `user` when set) with its output in `commands.log`; throws with the log's end
    /// when it fails. (posix_spawn and waitpid: `pg_ctl start` leaves the server running behind it, which
    /// Foundation's `Process` does not always see exit.)
    private func command(_ name: String, _ arguments: [String]) throws {
        let runuser = FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") ? "/usr/sbin/runuser" : "/sbin/runuser"
        let argv = user.map { [runuser, "-u", $0, "--", "\(bin)/\(name)"] } ?? ["\(bin)/\(name)"]
        let log = "\(directory)/commands.log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let strings = (argv + arguments).map { strdup($0) }
        defer { strings.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, strings + [nil], environ)
        guard spawned == 0 else { throw PostgresError.connect("cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw PostgresError.connect("\(name) failed (status \(status)): \(text.suffix(500))")
        }
    }
}
