import Foundation
import Testing
@testable import FaceModel

/// Appearance codes from photos (docs/MODEL_FORMAT.md, "Region map"): the map's parsing, the pixel-centre
/// rule, parity with the training pipeline's runner on synthetic photos, and `generate --appearance from:`.
@Suite struct PhotoAppearanceTests {
    static let tiny = GoldenParityTests.fixtures("tiny")

    func tinyAppearance() throws -> Appearance {
        try #require(try Manifest(path: Self.tiny + "/manifest.json").appearance)
    }

    /// The error `body` throws, as the CLI prints it ("no error" when it throws none).
    func message(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func golden() throws -> SafeTensors { try SafeTensors(path: Self.tiny + "/appearance-golden.safetensors") }

    func photo(_ golden: SafeTensors, _ i: Int) throws -> RGBImage {
        let side = try #require(golden.entries["photo\(i).rgb"]?.shape.first)
        return RGBImage(width: side, height: side, pixels: try golden.uint8s("photo\(i).rgb", shape: [side, side, 3]))
    }

    @Test("The tiny model's region map is read") func theTinyModelsRegionMapIsRead() throws {
        let map = try #require(try tinyAppearance().regionMap)
        #expect(map.grid == 8)
        #expect(Array(map.cells[0..<16]) == [1, 1, 1, 1, 1, 1, 1, 1, 1, -1, 0, 0, 0, 0, -1, 1])
        #expect(map.fallback == [0.3, -0.1, -0.2, -0.6, -0.7, -0.8])
    }

    @Test("Codes of the synthetic photos equal the runner's bit for bit") func codesOfTheSyntheticPhotosEqualTheRunnersBitForBit() throws {
        let a = try tinyAppearance(), g = try golden()
        for i in 0..<2 {
            #expect(try a.code(photo: try photo(g, i)) == (try g.floats("photo\(i).appearance", shape: [6])), "photo\(i)")
        }
    }

    @Test("A photo reads the same from RGB, RGBA and grey PNGs") func aPhotoReadsTheSameFromRGBRGBAAndGreyPNGs() throws {
        let a = try tinyAppearance(), g = try golden(), dir = temporaryDirectory("photo-png")
        let colour = try photo(g, 0), grey = try photo(g, 1)
        let expected = try g.floats("photo0.appearance"), expectedGrey = try g.floats("photo1.appearance")
        func code(_ bytes: [UInt8], _ name: String) throws -> [Float] {
            try PNG.write(bytes, to: dir + "/" + name)
            return try a.code(photo: try PNG.readRGB(path: dir + "/" + name))
        }
        #expect(try code(try PNG.encode(colour), "rgb.png") == expected)
        // Alpha is ignored (not composited): a varying alpha leaves the colours as they are.
        var rgba = [UInt8]()
        for i in 0..<(colour.width * colour.height) { rgba += colour.pixels[(3 * i)..<(3 * i + 3)] + [UInt8(truncatingIfNeeded: 40 + 7 * i)] }
        #expect(try code(try PNG.encode(rgba, width: colour.width, height: colour.height, format: PNG.formatRGBA), "rgba.png") == expected)
        let luma = (0..<(grey.width * grey.height)).map { grey.pixels[3 * $0] }
        #expect(try code(try PNG.encodeGrey(luma, width: grey.width, height: grey.height), "grey.png") == expectedGrey)
    }

    @Test("Each pixel counts in the cell holding its centre") func eachPixelCountsInTheCellHoldingItsCentre() throws {
        // 10×10 pixels over a 4×4 map: pixel centres 0.5 … 9.5, cells 2.5 wide, so the cells take 2, 3, 2, 3
        // pixels per axis (a centre on a border goes to the later cell). Region 0 is cell (0, 0) only.
        var cells = [Int](repeating: -1, count: 16)
        cells[0] = 0
        let map = RegionMap(grid: 4, cells: cells, fallback: [0.5, 0.25, -0.5, 0.125, 0.25, 0.5])
        var pixels = [UInt8](repeating: 0, count: 300)
        for y in 0..<10 { for x in 0..<10 { pixels[3 * (10 * y + x)] = UInt8(10 * y + x) } }
        let code = try map.code(RGBImage(width: 10, height: 10, pixels: pixels))
        let sum = [0, 1, 10, 11].reduce(0, +)  // pixels (0…1, 0…1) carry 10y + x in red
        #expect(code == [Float(Double(sum) / 4 / 127.5 - 1), -1, -1, 0.125, 0.25, 0.5])
    }

    @Test("A bad photo or a model without a map gives one clear error") func aBadPhotoOrAModelWithoutAMapGivesOneClearError() throws {
        let a = try tinyAppearance()
        #expect(message { try a.code(photo: RGBImage(width: 9, height: 8, pixels: [UInt8](repeating: 0, count: 216)), file: "p.png") }
            == "p.png: the photo is 9×8; it must be square (an aligned face photo, FFHQ/CelebA-HQ framing)")
        #expect(message { try a.code(photo: RGBImage(width: 7, height: 7, pixels: [UInt8](repeating: 0, count: 147)), file: "p.png") }
            == "p.png: the photo is 7×7; this model's region map needs at least 8×8")
        var bare = a
        bare.regionMap = nil
        #expect(message { try bare.code(photo: RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 0, count: 192))) }
            == "this model has no region map; re-export it to take an appearance from a photo")
    }

    @Test("A malformed region map is refused with its JSON path") func aMalformedRegionMapIsRefusedWithItsPath() throws {
        var object = try manifestObject(Self.tiny)
        func edited(_ change: (inout [String: Any]) -> Void) throws -> Manifest {
            var o = object
            var app = o["appearance"] as! [String: Any]
            var map = app["region_map"] as! [String: Any]
            change(&map)
            app["region_map"] = map
            o["appearance"] = app
            return try parseManifest(o)
        }
        func refusal(_ change: (inout [String: Any]) -> Void) -> String { message { try edited(change) } }
        let path = "$.appearance.region_map"
        #expect(refusal { $0["rows"] = Array(($0["rows"] as! [String]).dropLast()) }.contains("\(path).rows: expected 8 rows, got 7"))
        #expect(refusal { var r = $0["rows"] as! [String]; r[2] = "1000002."; $0["rows"] = r }.contains("\(path).rows[2]: '2' is neither '.' nor a region index 0–1"))
        #expect(refusal { var r = $0["rows"] as! [String]; r[5] = "1000"; $0["rows"] = r }.contains("\(path).rows[5]: expected a string of 8 cells"))
        #expect(refusal { var f = $0["fallback"] as! [Any]; f[4] = 1.5; $0["fallback"] = f }.contains("\(path).fallback[4]: expected a number in [-1, 1]"))
        #expect(refusal { $0["fallback"] = [0.0] }.contains("\(path).fallback: expected 6 numbers, got 1"))
        #expect(refusal { $0["grid"] = 0 }.contains("\(path).grid"))
        // Optional: an older version 2 manifest (the shipped model) has none and still loads.
        var app = object["appearance"] as! [String: Any]
        app["region_map"] = nil
        object["appearance"] = app
        #expect(try parseManifest(object).appearance?.regionMap == nil)
    }

    @Test("generate from a photo conditions the face on the photo's code") func generateFromAPhotoConditionsTheFaceOnThePhotosCode() throws {
        let g = try golden(), dir = temporaryDirectory("generate-photo")
        let sketch = TinyModel.sketch(seed: 5)
        try PNG.write(try PNG.encodeGrey(sketch.pixels, width: 512, height: 512), to: dir + "/sketch.png")
        try PNG.write(try PNG.encode(try photo(g, 0)), to: dir + "/photo.png")
        #expect(try AppearanceChoice(parsing: "from:" + dir + "/photo.png") == .photo(dir + "/photo.png"))
        #expect(throws: GenerateError.invalidAppearance("from:")) { try AppearanceChoice(parsing: "from:") }
        var job = Generation(sketchPath: dir + "/sketch.png", outputPath: dir + "/face.png", modelDirectory: Self.tiny)
        job.appearance = .photo(dir + "/photo.png")
        let summary = try job.run()
        let code = try g.floats("photo0.appearance")
        #expect(summary.photoCode == code)
        #expect(summary.appearanceIndex == nil)
        let face = try PNG.decodeRGBA(try readFileBytes(dir + "/face.png"))
        let expected = try FaceModel(directory: Self.tiny).synthesize(sketch, appearance: code, workspace: Workspace())
        let rgb: [UInt8] = (0..<(64 * 64)).flatMap { i -> [UInt8] in Array(face.rgba[(4 * i)..<(4 * i + 3)]) }
        let same = rgb == expected.pixels  // one Bool: a failure does not print 12 288 bytes
        #expect(same, "the face is not the one made with the photo's code")
        // A non-square photo fails before the model is loaded; a model without a map says so.
        try PNG.write(try PNG.encode(RGBImage(width: 30, height: 20, pixels: [UInt8](repeating: 9, count: 1800))), to: dir + "/wide.png")
        job.appearance = .photo(dir + "/wide.png")
        job.modelDirectory = dir + "/nomodel"
        #expect(message { try job.run() } == "\(dir)/wide.png: the photo is 30×20; it must be square (an aligned face photo, FFHQ/CelebA-HQ framing)")
        job.appearance = .photo(dir + "/missing.png")
        #expect(message { try job.run() }.hasPrefix("\(dir)/missing.png: cannot read"))
        job.appearance = .photo(dir + "/photo.png")
        job.modelDirectory = try TinyModel.makeDirectory(version: 2)
        #expect(message { try job.run() } == "this model has no region map; re-export it to take an appearance from a photo")
        job.modelDirectory = try TinyModel.makeDirectory(version: 1)
        #expect(message { try job.run() } == "appearance 'from:\(dir)/photo.png': this model (version 1) has no appearance palette")
    }
}
