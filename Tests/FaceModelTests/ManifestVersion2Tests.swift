import XCTest
@testable import FaceModel

/// The "Version 2" section of docs/MODEL_FORMAT.md: the new fields, their defaults in version 1, and the
/// JSON path of every refusal.
final class ManifestVersion2Tests: XCTestCase {
    func object(_ dir: String) throws -> [String: Any] { try manifestObject(dir) }
    func load(_ object: [String: Any]) throws -> Manifest { try parseManifest(object) }

    func testVersion2FieldsAreRead() throws {
        let m = try Manifest(path: try TinyModel.makeDirectory(version: 2) + "/manifest.json")
        XCTAssertEqual(m.version, 2)
        XCTAssertEqual(m.inputNormalisation, InputNormalisation(scale: Float(TinyModel.normalisation.scale), offset: Float(TinyModel.normalisation.offset)))
        XCTAssertEqual(m.generatorInput, [.fused, .sketch])
        XCTAssertEqual(m.generatorInputShape, [TinyModel.channels + 1, 64, 64])
        XCTAssertFalse(m.readsProjectedSketch)
        let projected = try Manifest(path: try TinyModel.makeDirectory(version: 2, generatorInput: ["fused", "projected_sketch"]) + "/manifest.json")
        XCTAssertEqual(projected.generatorInput, [.fused, .projectedSketch])
        XCTAssertEqual(projected.generatorInputShape, [TinyModel.channels + 1, 64, 64])
        XCTAssertTrue(projected.readsProjectedSketch)
        let a = try XCTUnwrap(m.appearance)
        XCTAssertEqual(a.size, 6)
        XCTAssertEqual(a.regions, TinyModel.regions)
        XCTAssertEqual(a.palette, TinyModel.palette)
        XCTAssertEqual(a.defaultIndex, 1)
        XCTAssertEqual(a.defaultCode, TinyModel.palette[1])
        XCTAssertEqual(m.networks["generator"]?.condition, 6)
        XCTAssertNil(m.networks["encoder.nose"]?.condition)
    }

    func testVersion1ReadsAsTheDocumentedDefaults() throws {
        let m = try Manifest(path: try TinyModel.makeDirectory(version: 1) + "/manifest.json")
        XCTAssertEqual(m.version, 1)
        XCTAssertEqual(m.inputNormalisation.scale, Float(1 / 127.5))
        XCTAssertEqual(m.inputNormalisation.offset, -1)
        XCTAssertEqual(m.generatorInput, [.fused])
        XCTAssertNil(m.appearance)
        XCTAssertEqual(m.generatorInputShape, [TinyModel.channels, 64, 64])
        XCTAssertEqual(m.inputNormalisation(0), -1)
        XCTAssertEqual(m.inputNormalisation(255), 1, accuracy: 1e-6)
    }

    /// Each edit of a good version 2 manifest and the exact error it must give.
    func testEveryBadVersion2FieldIsRefusedWithItsJSONPath() throws {
        let good = try object(try TinyModel.makeDirectory(version: 2))
        func expect(_ expected: ManifestError, line: UInt = #line, _ edit: (inout [String: Any]) -> Void) {
            var o = good
            edit(&o)
            XCTAssertThrowsError(try load(o), line: line) { XCTAssertEqual($0 as? ManifestError, expected, line: line) }
        }
        func invalid(_ path: String, _ reason: String) -> ManifestError { .invalid(path: path, reason: reason) }
        func nested(_ o: inout [String: Any], _ key: String, _ edit: (inout [String: Any]) -> Void) {
            var inner = o[key] as! [String: Any]
            edit(&inner)
            o[key] = inner
        }
        func generator(_ o: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
            nested(&o, "networks") { n in nested(&n, "generator", edit) }
        }

        expect(invalid("$.version", "version 3 is not supported (this runtime reads versions 1 and 2)")) { $0["version"] = 3 }
        // input_normalisation
        expect(.missing(path: "$.input_normalisation")) { $0.removeValue(forKey: "input_normalisation") }
        expect(invalid("$.input_normalisation", "expected an object")) { $0["input_normalisation"] = [0.5, -1] }
        expect(.missing(path: "$.input_normalisation.offset")) { nested(&$0, "input_normalisation") { $0.removeValue(forKey: "offset") } }
        expect(invalid("$.input_normalisation.scale", "expected a number")) { nested(&$0, "input_normalisation") { $0["scale"] = "1/127.5" } }
        expect(invalid("$.input_normalisation.scale", "must not be 0")) { nested(&$0, "input_normalisation") { $0["scale"] = 0 } }
        // generator_input
        expect(.missing(path: "$.generator_input")) { $0.removeValue(forKey: "generator_input") }
        expect(invalid("$.generator_input", "expected an array")) { $0["generator_input"] = "fused" }
        expect(invalid("$.generator_input", "must list \"fused\" first")) { $0["generator_input"] = [String]() }
        expect(invalid("$.generator_input[0]", "the first block must be \"fused\"")) { $0["generator_input"] = ["sketch", "fused"] }
        expect(invalid("$.generator_input[1]", "expected \"fused\", \"sketch\" or \"projected_sketch\"")) { $0["generator_input"] = ["fused", "edges"] }
        expect(invalid("$.generator_input[1]", "expected \"fused\", \"sketch\" or \"projected_sketch\"")) { $0["generator_input"] = ["fused", 1] as [Any] }
        expect(invalid("$.generator_input[2]", "\"sketch\" is listed twice")) { $0["generator_input"] = ["fused", "sketch", "sketch"] }
        expect(invalid("$.generator_input[2]", "at most one sketch block follows \"fused\"")) { $0["generator_input"] = ["fused", "sketch", "projected_sketch"] }
        // appearance
        expect(.missing(path: "$.appearance")) { $0.removeValue(forKey: "appearance") }
        expect(invalid("$.appearance", "expected an object")) { $0["appearance"] = [1, 2, 3] }
        expect(.missing(path: "$.appearance.size")) { nested(&$0, "appearance") { $0.removeValue(forKey: "size") } }
        expect(invalid("$.appearance.size", "0 is below the minimum 1")) { nested(&$0, "appearance") { $0["size"] = 0 } }
        expect(invalid("$.appearance.size", "9 is not 3 × 2 regions (R, G, B each)")) { nested(&$0, "appearance") { $0["size"] = 9 } }
        expect(.missing(path: "$.appearance.regions")) { nested(&$0, "appearance") { $0.removeValue(forKey: "regions") } }
        expect(invalid("$.appearance.regions[1]", "expected a region name")) { nested(&$0, "appearance") { $0["regions"] = ["skin", 4] as [Any] } }
        expect(.missing(path: "$.appearance.palette")) { nested(&$0, "appearance") { $0.removeValue(forKey: "palette") } }
        expect(invalid("$.appearance.palette", "must hold at least one code")) { nested(&$0, "appearance") { $0["palette"] = [Any]() } }
        expect(invalid("$.appearance.palette[1]", "expected a list of 6 numbers")) { nested(&$0, "appearance") { $0["palette"] = [[0, 0, 0, 0, 0, 0], "grey"] as [Any] } }
        expect(invalid("$.appearance.palette[0]", "expected 6 numbers, got 5")) { nested(&$0, "appearance") { $0["palette"] = [[0, 0, 0, 0, 0]] } }
        expect(invalid("$.appearance.palette[0][2]", "expected a number")) { nested(&$0, "appearance") { $0["palette"] = [[0, 0, "x", 0, 0, 0] as [Any]] } }
        expect(.missing(path: "$.appearance.default")) { nested(&$0, "appearance") { $0.removeValue(forKey: "default") } }
        expect(invalid("$.appearance.default", "-1 is below the minimum 0")) { nested(&$0, "appearance") { $0["default"] = -1 } }
        expect(invalid("$.appearance.default", "3 is not an index into the 3-code palette")) { nested(&$0, "appearance") { $0["default"] = 3 } }
        // The generator's condition must be the appearance code.
        expect(.missing(path: "$.networks.generator.condition")) { generator(&$0) { $0.removeValue(forKey: "condition") } }
        expect(invalid("$.networks.generator.condition", "5 does not match $.appearance.size 6")) { generator(&$0) { $0["condition"] = 5 } }
        expect(invalid("$.networks.generator.condition", "0 is below the minimum 1")) { generator(&$0) { $0["condition"] = 0 } }
        // Layers.
        expect(.missing(path: "$.networks.generator.layers[2].channels")) { generator(&$0) { g in
            var layers = g["layers"] as! [Any]
            var film = layers[2] as! [String: Any]
            XCTAssertEqual(film["type"] as? String, "film")
            film.removeValue(forKey: "channels")
            layers[2] = film
            g["layers"] = layers
        } }
        expect(invalid("$.networks.generator.layers[4].layers", "expected an array")) { generator(&$0) { g in
            var layers = g["layers"] as! [Any]
            var concat = layers[4] as! [String: Any]
            XCTAssertEqual(concat["type"] as? String, "concat")
            concat["layers"] = "none"
            layers[4] = concat
            g["layers"] = layers
        } }
    }

    func testVersion2FieldsInAVersion1ManifestAreRefused() throws {
        let v1 = try object(try TinyModel.makeDirectory(version: 1))
        let v2 = try object(try TinyModel.makeDirectory(version: 2))
        for key in ["input_normalisation", "generator_input", "appearance"] {
            var o = v1
            o[key] = v2[key]
            XCTAssertThrowsError(try load(o)) {
                XCTAssertEqual($0 as? ManifestError, .invalid(path: "$.\(key)", reason: "only in version 2 (this manifest says version 1)"))
            }
        }
        var o = v1
        var networks = o["networks"] as! [String: Any]
        var generator = networks["generator"] as! [String: Any]
        generator["condition"] = 6
        networks["generator"] = generator
        o["networks"] = networks
        XCTAssertThrowsError(try load(o)) {
            XCTAssertEqual($0 as? ManifestError, .invalid(path: "$.networks.generator.condition", reason: "a conditioned generator needs $.appearance (version 2)"))
        }
    }

    func testNetworksThatDoNotFitTheVersion2PipelineAreRefusedAtLoad() throws {
        let dir = try TinyModel.makeDirectory(version: 2)
        let good = try object(dir)
        let weights = try SafeTensors(path: dir + "/weights.safetensors")
        let database = try SafeTensors(path: dir + "/database.safetensors")
        func loadError(_ edit: (inout [String: Any]) -> Void) throws -> Error? {
            var o = good
            edit(&o)
            do { _ = try FaceModel(manifest: try load(o), weights: weights, database: database) } catch { return error }
            return nil
        }
        func network(_ o: inout [String: Any], _ name: String, _ edit: (inout [String: Any]) -> Void) {
            var networks = o["networks"] as! [String: Any]
            var n = networks[name] as! [String: Any]
            edit(&n)
            networks[name] = n
            o["networks"] = networks
        }
        // The generator's input must hold the fused map and the sketch channel.
        XCTAssertEqual(try loadError { $0["generator_input"] = ["fused"] } as? FaceModelError,
                       .mismatch(network: "generator", reason: "input [5, 64, 64], expected [4, 64, 64]"))
        // Only the generator gets a condition from the pipeline.
        XCTAssertEqual(try loadError { network(&$0, "encoder.nose") { $0["condition"] = 6 } } as? FaceModelError,
                       .mismatch(network: "encoder.nose", reason: "condition 6, expected none"))
        // A film layer in a network without a condition.
        let film: [String: Any] = ["type": "film", "channels": 2, "weight": "gen.in.film.weight", "bias": NSNull()]
        let unconditioned = try loadError { network(&$0, "encoder.nose") { n in
            var layers = n["layers"] as! [Any]
            layers.insert(film, at: 5)
            n["layers"] = layers
        } }
        XCTAssertEqual(unconditioned as? ManifestError, .invalid(path: "$.networks.encoder.nose.layers[5]",
                                                                  reason: "film needs a conditioned network: $.networks.encoder.nose.condition is not set"))
        // A film whose channels differ from its input's.
        let mismatched = try loadError { network(&$0, "generator") { g in
            var layers = g["layers"] as! [Any]
            var f = layers[2] as! [String: Any]
            f["channels"] = 4
            layers[2] = f
            g["layers"] = layers
        } }
        XCTAssertEqual(mismatched as? ManifestError, .invalid(path: "$.networks.generator.layers[2]", reason: "film expects 4 channels, got 8"))
    }
}
