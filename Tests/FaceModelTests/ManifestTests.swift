import XCTest
@testable import FaceModel

final class ManifestTests: XCTestCase {
    func load(_ object: [String: Any]) throws -> Manifest { try parseManifest(object) }

    func testTinyManifestParsesGeometryAndNetworks() throws {
        let dir = try TinyModel.makeDirectory()
        let m = try Manifest(path: dir + "/manifest.json")
        XCTAssertEqual(m.resolution, 64)
        XCTAssertEqual(m.factor, 8)
        XCTAssertEqual(m.components.map(\.name), ["left_eye", "right_eye", "nose", "mouth", "remainder"])
        let nose = m.components[2]
        XCTAssertEqual([nose.xR, nose.yR, nose.sideR], [22, 29, 20])  // floor(182/8), floor(232/8), 160/8
        XCTAssertEqual(m.networks.count, 11)
        guard case .residual(let inner)? = m.networks["encoder.nose"]?.layers[3] else { return XCTFail("residual not parsed") }
        XCTAssertEqual(inner.count, 3)
    }

    func testBrokenFieldsAreReportedWithTheirJSONPath() throws {
        let dir = try TinyModel.makeDirectory()
        let good = try manifestObject(dir)
        func expectError(_ edit: (inout [String: Any]) -> Void, contains fragment: String, line: UInt = #line) {
            var o = good
            edit(&o)
            XCTAssertThrowsError(try load(o), line: line) { XCTAssertTrue("\($0)".contains(fragment), "\($0) lacks \(fragment)", line: line) }
        }
        expectError({ $0["format"] = "onnx" }, contains: "$.format")
        expectError({ $0["version"] = 3 }, contains: "version 3")
        expectError({ $0["resolution"] = 100 }, contains: "$.resolution")
        expectError({ $0.removeValue(forKey: "latent") }, contains: "$.latent")
        expectError({ $0["fusion_order"] = ["mouth", "ears"] }, contains: "$.fusion_order[1]")
        expectError({ var n = $0["networks"] as! [String: Any]; n.removeValue(forKey: "generator"); $0["networks"] = n }, contains: "$.networks.generator")
        expectError({ var n = $0["networks"] as! [String: Any]; var g = n["generator"] as! [String: Any]; var l = g["layers"] as! [Any]
            var first = l[0] as! [String: Any]; first["type"] = "deformable_conv"; l[0] = first; g["layers"] = l; n["generator"] = g; $0["networks"] = n },
                    contains: "$.networks.generator.layers[0].type")
        expectError({ var n = $0["networks"] as! [String: Any]; var g = n["generator"] as! [String: Any]; var l = g["layers"] as! [Any]
            var first = l[0] as! [String: Any]; first["pad_mode"] = "circular"; l[0] = first; g["layers"] = l; n["generator"] = g; $0["networks"] = n },
                    contains: "pad_mode")
        expectError({ var c = $0["components"] as! [Any]; c.removeLast(); $0["components"] = c }, contains: "remainder")
        XCTAssertThrowsError(try Manifest(json: Array("{".utf8))) { XCTAssertTrue("\($0)".contains("not valid JSON")) }
    }

    func testWeightsThatDoNotMatchTheManifestNameFileAndTensor() throws {
        let dir = try TinyModel.makeDirectory()
        let manifest = try Manifest(path: dir + "/manifest.json")
        let database = try SafeTensors(path: dir + "/database.safetensors")
        let weights = try SafeTensors(path: dir + "/weights.safetensors")
        // Drop one tensor.
        var writer = SafeTensorsWriter()
        for (name, e) in weights.entries where name != "gen.up.weight" { writer.add(name, shape: e.shape, floats: try weights.floats(name)) }
        XCTAssertThrowsError(try FaceModel(manifest: manifest, weights: try SafeTensors(bytes: writer.bytes(), file: "weights.safetensors"), database: database)) {
            XCTAssertEqual($0 as? SafeTensorsError, .missingTensor(file: "weights.safetensors", tensor: "gen.up.weight"))
        }
        // Wrong shape for one tensor.
        writer = SafeTensorsWriter()
        for (name, e) in weights.entries {
            if name == "gen.up.weight" { writer.add(name, shape: [8, 8, 1, 9], floats: try weights.floats(name)) } else { writer.add(name, shape: e.shape, floats: try weights.floats(name)) }
        }
        XCTAssertThrowsError(try FaceModel(manifest: manifest, weights: try SafeTensors(bytes: writer.bytes(), file: "weights.safetensors"), database: database)) {
            XCTAssertEqual($0 as? SafeTensorsError, .wrongShape(file: "weights.safetensors", tensor: "gen.up.weight", expected: [8, 8, 3, 3], actual: [8, 8, 1, 9]))
        }
        // Wrong dtype.
        writer = SafeTensorsWriter()
        for (name, e) in weights.entries {
            if name == "gen.up.bias" { writer.add(name, shape: e.shape, uint8s: [UInt8](repeating: 1, count: e.count)) } else { writer.add(name, shape: e.shape, floats: try weights.floats(name)) }
        }
        XCTAssertThrowsError(try FaceModel(manifest: manifest, weights: try SafeTensors(bytes: writer.bytes(), file: "weights.safetensors"), database: database)) {
            XCTAssertEqual($0 as? SafeTensorsError, .wrongDType(file: "weights.safetensors", tensor: "gen.up.bias", expected: "F32 or F16", actual: "U8"))
        }
        // Database missing a component's crops.
        writer = SafeTensorsWriter()
        for (name, e) in database.entries where name != "nose.crops" {
            switch e.dtype {
            case .u8: writer.add(name, shape: e.shape, uint8s: try database.uint8s(name))
            case .i32: writer.add(name, shape: e.shape, int32s: try database.int32s(name))
            default: writer.add(name, shape: e.shape, floats: try database.floats(name))
            }
        }
        XCTAssertThrowsError(try FaceModel(manifest: manifest, weights: weights, database: try SafeTensors(bytes: writer.bytes(), file: "database.safetensors"))) {
            XCTAssertEqual($0 as? SafeTensorsError, .missingTensor(file: "database.safetensors", tensor: "nose.crops"))
        }
    }

    func testNetworkWhoseShapesDoNotChainIsRejectedAtLoad() throws {
        let dir = try TinyModel.makeDirectory()
        var o = try manifestObject(dir)
        var n = o["networks"] as! [String: Any]
        var g = n["generator"] as! [String: Any]
        g["input"] = [5, 64, 64]
        n["generator"] = g
        o["networks"] = n
        let manifest = try load(o)
        XCTAssertThrowsError(try FaceModel(manifest: manifest, weights: try SafeTensors(path: dir + "/weights.safetensors"), database: try SafeTensors(path: dir + "/database.safetensors"))) {
            XCTAssertTrue("\($0)".contains("generator"), "\($0)")
        }
    }

    func testMissingModelFileIsNamed() throws {
        let dir = try TinyModel.makeDirectory()
        try FileManager.default.removeItem(atPath: dir + "/database.safetensors")
        XCTAssertThrowsError(try FaceModel(directory: dir)) { XCTAssertEqual($0 as? FaceModelError, .missingFile(path: dir + "/database.safetensors")) }
    }
}
