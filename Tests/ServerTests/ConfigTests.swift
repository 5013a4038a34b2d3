import Foundation
import Testing
import Transport
@testable import App

private func decode(_ json: String) throws -> Config {
    try Config.decode(JSONValue.parse(Data(json.utf8)))
}

private func configError(_ json: String) -> ConfigError? {
    do {
        _ = try decode(json)
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        return ConfigError(key: "unexpected", problem: "\(error)")
    }
}

@Suite("Configuration")
struct ConfigTests {
    @Test func shippedConfigLoadsWithDocumentedDefaults() throws {
        let config = try Config.load(path: repositoryRoot.appendingPathComponent("Config/sketchface.json").path)
        let listeners = config[ListenersSection.self]
        #expect(listeners.http?.description == "127.0.0.1:8080")
        #expect(listeners.https?.description == "0.0.0.0:8443")
        #expect(config[TLSSection.self].certificate == nil)
        #expect(config[LimitsSection.self].maxHeaderBytes == 16384)
        #expect(config[ServerSection.self].echo == false)
    }

    @Test func emptyConfigUsesDefaults() throws {
        let config = try decode("{}")
        #expect(config[ListenersSection.self].http?.port == 8080)
        #expect(config[TimeoutsSection.self].headerReadMilliseconds == 10_000)
    }

    @Test func unknownKeyIsNamed() {
        #expect(configError(#"{"limits": {"max_body_byte": 5}}"#) == ConfigError(key: "limits.max_body_byte", problem: "unknown key"))
        #expect(configError(#"{"limit": {}}"#)?.key == "limit")
    }

    @Test func wrongTypesAreNamedWithTheValue() {
        let error = configError(#"{"limits": {"max_body_bytes": "big"}}"#)
        #expect(error?.key == "limits.max_body_bytes")
        #expect(error?.problem.contains("\"big\"") == true)
        #expect(configError(#"{"server": {"echo": 1}}"#)?.key == "server.echo")
        #expect(configError(#"{"limits": {"max_connections": true}}"#)?.key == "limits.max_connections")
        #expect(configError(#"{"limits": {"max_connections": 0}}"#)?.key == "limits.max_connections")
        #expect(configError(#"{"server": {"allowed_origins": ["https://a.example/"]}}"#)?.key == "server.allowed_origins")
        #expect(configError(#"{"logging": {"level": "loud"}}"#)?.key == "logging.level")
        #expect(configError(#"{"tls": "yes"}"#)?.key == "tls")
    }

    @Test func invalidAddressIsNamed() {
        #expect(configError(#"{"listeners": {"http": "127.0.0.1"}}"#)?.key == "listeners.http")
        #expect(configError(#"{"listeners": {"https": "[::1]:99999"}}"#)?.key == "listeners.https")
    }

    @Test func plaintextOnPublicAddressIsRefusedUnlessAllowed() throws {
        #expect(configError(#"{"listeners": {"http": "0.0.0.0:8080"}}"#)?.key == "listeners.http")
        let allowed = try decode(#"{"listeners": {"http": "0.0.0.0:8080", "allow_insecure_public": true}}"#)
        #expect(allowed[ListenersSection.self].http?.description == "0.0.0.0:8080")
        #expect(try decode(#"{"listeners": {"http": "[::1]:8080"}}"#)[ListenersSection.self].http?.isLoopback == true)
    }

    @Test func listenerCanBeDisabledButNotBoth() throws {
        #expect(try decode(#"{"listeners": {"https": null}}"#)[ListenersSection.self].https == nil)
        #expect(try decode(#"{"listeners": {"https": "off"}}"#)[ListenersSection.self].https == nil)
        #expect(configError(#"{"listeners": {"http": "off", "https": "off"}}"#) != nil)
    }

    @Test func certificateWithoutKeyIsNamed() {
        #expect(configError(#"{"tls": {"certificate": "/etc/cert.pem"}}"#)?.key == "tls.private_key")
    }

    @Test func overridesReplaceKeysAndErrorsNameTheFlag() throws {
        let config = try Config.decode(.object([:]), overrides: [ConfigOverride(key: "listeners.http", value: .string("127.0.0.1:9000"), flag: "--http")])
        #expect(config[ListenersSection.self].http?.port == 9000)
        do {
            _ = try Config.decode(.object([:]), overrides: [ConfigOverride(key: "listeners.http", value: .string("nope"), flag: "--http")])
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.description.hasPrefix("config error: listeners.http (set by --http):"))
        }
    }

    @Test func malformedJSONIsOneLine() {
        let error = configError("{\"limits\": ")
        #expect(error?.key == "file")
        #expect(error.map { !$0.description.contains("\n") } == true)
    }

    @Test func everyShippedKeyIsDocumented() throws {
        let shipped = try JSONValue.parse(try Data(contentsOf: repositoryRoot.appendingPathComponent("Config/sketchface.json")))
        let docs = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
        guard case .object(let sections) = shipped else { Issue.record("config is not an object"); return }
        var keys: [String] = []
        for (section, value) in sections {
            #expect(docs.contains("## `\(section)`"), "section \(section) undocumented")
            guard case .object(let members) = value else { continue }
            keys += members.keys.map { "\(section).\($0)" }
        }
        for key in keys { #expect(docs.contains("`\(key)`"), "\(key) is not documented in docs/CONFIG.md") }
        // And every registered section is shipped, so the file shows every setting.
        for type in Config.sectionTypes { #expect(sections[type.key] != nil, "section \(type.key) missing from Config/sketchface.json") }
    }
}

@Suite("sketchface serve command", .serialized)
struct ServeCommandTests {
    /// The built executable next to the test bundle (`swift build --build-tests` builds it).
    static let binary: String = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("sketchface").path) {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("sketchface").path
    }()

    @Test func invalidConfigExitsWith2AndOneLineNamingTheKey() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the executable first: swift build --build-tests")
        let directory = temporaryDirectory("badconfig")
        let path = directory + "/bad.json"
        try #"{"limits": {"max_body_bytes": -1}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let output = try runTool(Self.binary, ["serve", "--config", path])
        #expect(output.status == 2)
        let lines = output.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("limits.max_body_bytes") == true)

        try #"{"limits": {"max_body_bytes": 10, "typo": 1}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let unknown = try runTool(Self.binary, ["serve", "--config", path])
        #expect(unknown.status == 2)
        #expect(unknown.stderr == "sketchface: config error: limits.typo: unknown key\n")
    }

    @Test func invalidFlagValueExitsWith2NamingTheFlag() throws {
        let output = try runTool(Self.binary, ["serve", "--http", "0.0.0.0:8080", "--https", "off"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("listeners.http (set by --http)"))
        let missing = try runTool(Self.binary, ["--config", "/nonexistent.json"])
        #expect(missing.status == 2)
    }

    @Test func helpDescribesTheFlags() throws {
        let output = try runTool(Self.binary, ["serve", "--help"])
        #expect(output.status == 0)
        for flag in ["--config", "--http", "--https", "--data-dir", "--web-root", "--log-level", "--echo", "--allow-insecure-public"] {
            #expect(output.stdout.contains(flag), "\(flag) missing from --help")
        }
    }

    @Test func servesThenStopsCleanlyOnSIGTERM() throws {
        let data = temporaryDirectory("serve")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--http", "127.0.0.1:0", "--https", "127.0.0.1:0", "--data-dir", data, "--web-root", data, "--log-level", "warning"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while !text.contains("fingerprint") && Date() < deadline {
            text += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        }
        #expect(text.contains("serving http://127.0.0.1:"))
        #expect(text.contains("SHA-256 fingerprint"))
        #expect(FileManager.default.fileExists(atPath: data + "/dev-cert.pem"))
        process.terminate()   // SIGTERM
        let stop = Date().addingTimeInterval(10)
        while process.isRunning && Date() < stop { usleep(20_000) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
    }
}
