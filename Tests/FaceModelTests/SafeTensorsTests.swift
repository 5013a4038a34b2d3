import XCTest
@testable import FaceModel

final class SafeTensorsTests: XCTestCase {
    func sampleFile() -> [UInt8] {
        var w = SafeTensorsWriter()
        w.add("a", shape: [2, 3], floats: [1, -2, 3.5, 0, 1e-3, -7])
        w.add("h", shape: [4], floats: [0.5, -1, 65504, 1e-7], dtype: .f16)
        w.add("u", shape: [3], uint8s: [0, 128, 255])
        w.add("i", shape: [2], int32s: [-5, 70000])
        return w.bytes()
    }

    func testRoundTripsF32F16U8AndI32() throws {
        let file = try SafeTensors(bytes: sampleFile(), file: "sample")
        XCTAssertEqual(try file.floats("a", shape: [2, 3]), [1, -2, 3.5, 0, 1e-3, -7])
        let h = try file.floats("h")
        XCTAssertEqual(Array(h[0..<3]), [0.5, -1, 65504])
        XCTAssertEqual(h[3], 2 * 5.960464477539063e-08, accuracy: 1e-15)  // nearest f16 subnormal: 2·2⁻²⁴
        XCTAssertEqual(try file.uint8s("u"), [0, 128, 255])
        XCTAssertEqual(try file.int32s("i"), [-5, 70000])
    }

    func testHalfConversionMatchesFloat16ForEveryBitPattern() {
        #if !(os(macOS) && arch(x86_64))
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = floatFromHalf(bits)
            if expected.isNaN { XCTAssertTrue(got.isNaN) } else { XCTAssertEqual(got.bitPattern, expected.bitPattern, "half \(bits)") }
            if !expected.isNaN { XCTAssertEqual(halfFromFloat(expected), bits, "round trip \(bits)") }
        }
        var rng = SeededRandom(seed: 1)
        for _ in 0..<10_000 {
            let v = rng.float(-70000, 70000) * (rng.int(0...1) == 0 ? 1 : 1e-5)
            XCTAssertEqual(halfFromFloat(v), Float16(v).bitPattern, "\(v)")
        }
        #endif
    }

    func testEveryTruncationIsAnErrorNamingTheFileNeverACrash() {
        let bytes = sampleFile()
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try SafeTensors(bytes: Array(bytes.prefix(length)), file: "cut.safetensors"), "length \(length)") { error in
                XCTAssertTrue("\(error)".contains("cut.safetensors"), "\(error)")
            }
        }
    }

    func testTruncatedDataNamesTheTensorThatNoLongerFits() {
        let bytes = sampleFile()
        XCTAssertThrowsError(try SafeTensors(bytes: Array(bytes.dropLast(3)), file: "f")) { error in
            guard case let SafeTensorsError.offsetsOutOfRange(_, tensor, _, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(tensor, "i")
        }
    }

    func testCorruptHeadersAreRejected() {
        func file(header: String, data: [UInt8] = []) -> [UInt8] {
            let h = Array(header.utf8)
            var out: [UInt8] = (0..<8).map { UInt8((UInt64(h.count) >> (8 * UInt64($0))) & 0xff) }
            out += h + data
            return out
        }
        let cases: [(String, [UInt8])] = [
            ("not json", []),
            ("[1,2]", []),
            ("{\"a\": 5}", []),
            ("{\"a\": {\"dtype\": \"Q7\", \"shape\": [1], \"data_offsets\": [0, 4]}}", [0, 0, 0, 0]),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", [0, 0, 0, 0]),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}", [0, 0, 0, 0]),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", [0, 0, 0, 0]),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", [0, 0, 0, 0]),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", [0, 0, 0, 0]),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", [0, 0, 0, 0]),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1000000000000, 1000000000000], \"data_offsets\": [0, 4]}}", [0, 0, 0, 0]),
            ("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", [UInt8](repeating: 0, count: 8)),
        ]
        for (header, data) in cases {
            XCTAssertThrowsError(try SafeTensors(bytes: file(header: header, data: data), file: "bad.safetensors"), header) { error in
                XCTAssertTrue("\(error)".hasPrefix("bad.safetensors"), "\(error)")
            }
        }
        var huge: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        huge += Array("{}".utf8)
        XCTAssertThrowsError(try SafeTensors(bytes: huge, file: "f")) { XCTAssertTrue("\($0)".contains("header length")) }
    }

    func testOverlappingTensorsNameBothTensors() {
        var w = SafeTensorsWriter()
        w.add("x", shape: [1], floats: [1])
        var bytes = w.bytes()
        let header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"y\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}"
        let h = Array(header.utf8)
        bytes = (0..<8).map { UInt8((UInt64(h.count) >> (8 * UInt64($0))) & 0xff) } + h + [0, 0, 128, 63]
        XCTAssertThrowsError(try SafeTensors(bytes: bytes, file: "f")) { error in
            XCTAssertEqual(error as? SafeTensorsError, .overlapping(file: "f", tensor: "y", other: "x"))
        }
    }

    func testWrongDTypeWrongShapeAndMissingTensorNameFileAndTensor() throws {
        let file = try SafeTensors(bytes: sampleFile(), file: "w.safetensors")
        XCTAssertThrowsError(try file.floats("u")) { XCTAssertEqual($0 as? SafeTensorsError, .wrongDType(file: "w.safetensors", tensor: "u", expected: "F32 or F16", actual: "U8")) }
        XCTAssertThrowsError(try file.uint8s("a")) { XCTAssertEqual($0 as? SafeTensorsError, .wrongDType(file: "w.safetensors", tensor: "a", expected: "U8", actual: "F32")) }
        XCTAssertThrowsError(try file.int32s("a")) { XCTAssertEqual($0 as? SafeTensorsError, .wrongDType(file: "w.safetensors", tensor: "a", expected: "I32", actual: "F32")) }
        XCTAssertThrowsError(try file.floats("a", shape: [3, 2])) { XCTAssertEqual($0 as? SafeTensorsError, .wrongShape(file: "w.safetensors", tensor: "a", expected: [3, 2], actual: [2, 3])) }
        XCTAssertThrowsError(try file.floats("nope")) { XCTAssertEqual($0 as? SafeTensorsError, .missingTensor(file: "w.safetensors", tensor: "nope")) }
    }

    func testMissingFileIsUnreadableWithTheSystemReason() {
        XCTAssertThrowsError(try SafeTensors(path: "/nonexistent/x.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/x.safetensors"))
            XCTAssertTrue("\(error)".contains("No such file"), "\(error)")
        }
    }

    func testRandomByteCorruptionNeverCrashes() {
        let bytes = sampleFile()
        var rng = SeededRandom(seed: 77)
        for _ in 0..<2000 {
            var b = bytes
            for _ in 0..<rng.int(1...4) { b[rng.int(0...(b.count - 1))] = UInt8(truncatingIfNeeded: rng.next()) }
            if let file = try? SafeTensors(bytes: b, file: "f") {
                for name in file.entries.keys { _ = try? file.floats(name); _ = try? file.uint8s(name); _ = try? file.int32s(name) }
            }
        }
    }
}
