import App
import Foundation
import Logging
import Server
import Sessions
import Transport

/// The repository root (for `.venv`, `tests/clients`, `Config/`, docs).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh temporary directory.
func temporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "sketchface-\(name)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The real application on ephemeral loopback ports, with a temporary web root and data directory and
/// small timeouts, for one test.
final class TestServer {
    let app: Application
    let webRoot: String
    let dataDirectory: String

    var httpPort: UInt16 { app.server.httpAddress!.port }
    var httpsPort: UInt16 { app.server.httpsAddress!.port }

    /// `settings` are `section.key` → JSON overrides on top of the test defaults.
    init(_ settings: [String: JSONValue] = [:], store: OperationStore? = nil, routes: (Router) -> Void = { _ in }) throws {
        webRoot = temporaryDirectory("web")
        dataDirectory = temporaryDirectory("data")
        try "<!doctype html><title>SketchFace test</title>\n".write(toFile: webRoot + "/index.html", atomically: true, encoding: .utf8)
        try "body { color: black }\n".write(toFile: webRoot + "/style.css", atomically: true, encoding: .utf8)
        var values: [String: JSONValue] = [
            "listeners.http": .string("127.0.0.1:0"),
            "listeners.https": .string("127.0.0.1:0"),
            "server.web_root": .string(webRoot),
            "server.data_dir": .string(dataDirectory),
            "server.echo": .bool(true),
            "timeouts.close_linger_ms": .integer(1000),
        ]
        values.merge(settings) { $1 }
        let config = try Config.decode(.object([:]), overrides: values.map { ConfigOverride(key: $0.key, value: $0.value, flag: "test") })
        var logger = Logger(label: "test")
        logger.logLevel = ProcessInfo.processInfo.environment["SKETCHFACE_TEST_LOG"] == nil ? .critical : .debug
        app = try Application(config: config, logger: logger, store: store)
        routes(app.router)
        try app.start()
    }

    deinit {
        app.shutdown()
        try? FileManager.default.removeItem(atPath: webRoot)
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

/// The output of an external program.
struct ToolOutput {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
}

/// Runs a program (curl, openssl, the venv's python, the sketchface binary) with a time limit.
func runTool(_ executable: String, _ arguments: [String], stdin: String? = nil, timeoutSeconds: Double = 20,
             workingDirectory: URL = repositoryRoot) throws -> ToolOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = workingDirectory
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    let outData = Locked(Data()), errData = Locked(Data())
    let readers = DispatchGroup()
    for (pipe, sink) in [(out, outData), (err, errData)] {
        readers.enter()
        DispatchQueue.global().async {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            sink.withLock { $0 = data }
            readers.leave()
        }
    }
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    var timedOut = false
    while process.isRunning {
        if Date() > deadline { timedOut = true; process.terminate(); break }
        usleep(10_000)
    }
    process.waitUntilExit()
    readers.wait()
    return ToolOutput(status: process.terminationStatus, stdout: String(decoding: outData.withLock { $0 }, as: UTF8.self),
                      stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self), timedOut: timedOut)
}

/// The venv's Python, which has `websockets` and `websocket-client`.
let python = repositoryRoot.appendingPathComponent(".venv/bin/python").path

/// Runs a client script from `tests/clients/` and decodes the JSON it prints on its last line.
func runClient(_ script: String, _ arguments: [String], timeoutSeconds: Double = 20) throws -> [String: Any] {
    let path = repositoryRoot.appendingPathComponent("tests/clients/\(script)").path
    let output = try runTool(python, [path] + arguments, timeoutSeconds: timeoutSeconds)
    guard let line = output.stdout.split(separator: "\n").last,
          let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw ClientFailure(script: script, output: output)
    }
    return object
}

struct ClientFailure: Error, CustomStringConvertible {
    var script: String
    var output: ToolOutput
    var description: String { "\(script) exited \(output.status): \(output.stdout) \(output.stderr)" }
}
