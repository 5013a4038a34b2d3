import Foundation
import PostgresStore
import Sessions
import SQLiteStore

// Store benchmark: acked ops/s and append→ack latency through the SQLite and PostgreSQL stores, with group
// commit and with one transaction per op, and PostgreSQL lease take and renewal latency.
//
// `C` closed-loop writers over `C` sessions: each appends its next op as soon as the previous one is acked
// (the callback queues it), as a client that waits for its ack would. Durable on both sides: SQLite
// `synchronous=FULL`, a throwaway PostgreSQL server (bench/store/run.sh) with `fsync=on`. Prints medians of
// `repeats` runs of `seconds` each.
//
// usage: store-bench [seconds] [repeats] [writers]

let arguments = CommandLine.arguments.dropFirst().compactMap { Double($0) }
let seconds = arguments.count > 0 ? arguments[0] : 3
let repeats = arguments.count > 1 ? Int(arguments[1]) : 3
let writers = arguments.count > 2 ? Int(arguments[2]) : 64
let monotonic = { ProcessInfo.processInfo.systemUptime }

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// One timed run: returns acked ops/s and the latencies of acks in the window.
func run(_ store: OperationStore) -> (opsPerSecond: Double, latencies: [Double]) {
    let lock = NSLock()
    var acked = 0
    var latencies = [Double]()
    var running = true
    let start = monotonic()
    let ids = (0..<writers).map { _ in SessionID.random() }
    for id in ids { store.sessionCreated(id, at: 1) }
    func next(_ id: SessionID, _ seq: Int) {
        let sent = monotonic()
        let body = "{\"type\":\"op\",\"seq\":\(seq),\"kind\":\"clear\",\"author\":\"bench\"}"
        store.append(body, seq: seq, to: id, at: 2) {
            let now = monotonic()
            lock.lock()
            let go = running
            if go { acked += 1; latencies.append(now - sent) }
            lock.unlock()
            if go { next(id, seq + 1) }
        }
    }
    for id in ids { next(id, 1) }
    Thread.sleep(forTimeInterval: seconds)
    lock.lock()
    running = false
    let result = (Double(acked) / (monotonic() - start), latencies)
    lock.unlock()
    store.flush()
    return result
}

func report(_ name: String, _ open: () throws -> OperationStore) throws {
    var rates = [Double](), p50 = [Double](), p95 = [Double]()
    for _ in 0..<repeats {
        let store = try open()
        let (rate, latencies) = run(store)
        store.close()
        rates.append(rate); p50.append(percentile(latencies, 0.5)); p95.append(percentile(latencies, 0.95))
    }
    print(String(format: "%-44@ %6.0f acked ops/s   ack p50 %7.2f ms   p95 %7.2f ms", name as NSString,
                 median(rates), median(p50) * 1000, median(p95) * 1000))
}

let directory = NSTemporaryDirectory() + "store-bench-\(UUID().uuidString)"
defer { try? FileManager.default.removeItem(atPath: directory) }
let server = try TemporaryPostgres(fsync: true)
defer { server.stop() }
print("store-bench: \(writers) closed-loop writers, \(repeats) × \(Int(seconds)) s, medians")
var schemas = 0
func freshPostgres() throws -> String { schemas += 1; return try server.freshSchema("bench\(schemas)") }
for group in [true, false] {
    let mode = group ? "group commit" : "one transaction per op"
    try report("sqlite (FULL), \(mode)") {
        try? FileManager.default.removeItem(atPath: directory)
        return try SQLiteOperationStore(directory: directory, groupCommit: group)
    }
    try report("postgresql (fsync), \(mode)") {
        try PostgresOperationStore(conninfo: try freshPostgres(), nodeID: "bench", groupCommit: group)
    }
}

// Leases: take (a released lease, with the read of its empty log) and renewal rounds of many leases.
let conninfo = try freshPostgres()
let a = try PostgresOperationStore(conninfo: conninfo, nodeID: "node-a", leaseSeconds: 3)
let b = try PostgresOperationStore(conninfo: conninfo, nodeID: "node-b", leaseSeconds: 3)
let sessions = (0..<200).map { _ in SessionID.random() }
for id in sessions { a.sessionCreated(id, at: 1) }
a.releaseAll()
var takes = [Double]()
for id in sessions {
    let started = monotonic()
    _ = try b.loadSession(id)
    takes.append(monotonic() - started)
}
print(String(format: "lease take + load (empty log)      p50 %.2f ms   p95 %.2f ms   (%d takes)",
             percentile(takes, 0.5) * 1000, percentile(takes, 0.95) * 1000, takes.count))
var renewals = [Double]()
let until = monotonic() + 5
while monotonic() < until {
    Thread.sleep(forTimeInterval: 1)
    if let last = b.lastRenewal { renewals.append(last.seconds) }
}
print(String(format: "lease renewal round (200 leases)   median %.2f ms   (%d samples, one UPDATE per round)",
             median(renewals) * 1000, renewals.count))
a.close(); b.close()
