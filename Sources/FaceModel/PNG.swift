import CPNG
import Foundation

/// PNG errors from libpng's simplified API (no longjmp crosses Swift frames: the `png_image_*`
/// functions catch libpng errors internally and report them in `image.message`).
public enum PNGError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case notPNG(file: String)
    case decode(file: String, reason: String)
    case wrongSize(file: String, width: Int, height: Int, expected: Int)
    case encode(reason: String)
    case unwritable(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .notPNG(file): return "\(file): not a PNG file"
        case let .decode(file, reason): return "\(file): invalid PNG: \(reason)"
        case let .wrongSize(file, w, h, e): return "\(file): the sketch is \(w)×\(h); it must be \(e)×\(e)"
        case let .encode(reason): return "PNG encoding failed: \(reason)"
        case let .unwritable(file, reason): return "\(file): cannot write: \(reason)"
        }
    }
}

/// PNG encode/decode through libpng.
public enum PNG {
    // PNG_FORMAT_* values (function-like macros are not imported into Swift).
    static let formatGray: UInt32 = 0, formatGrayAlpha: UInt32 = 1, formatRGB: UInt32 = 2, formatRGBA: UInt32 = 3

    static func message(_ image: png_image) -> String {
        var m = image.message
        return withUnsafeBytes(of: &m) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Decodes any PNG (grey, grey+alpha, RGB, RGBA, palette, 16-bit) to 8-bit RGBA; returns the size.
    /// With `side`, any other size is rejected from the header, before the pixels are allocated.
    public static func decodeRGBA(_ data: [UInt8], file: String = "<memory>", side: Int? = nil) throws -> (width: Int, height: Int, rgba: [UInt8]) {
        let signature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
        guard data.count >= 8, Array(data[0..<8]) == signature else { throw PNGError.notPNG(file: file) }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        let began = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard began != 0 else { throw PNGError.decode(file: file, reason: message(image)) }
        defer { png_image_free(&image) }
        image.format = formatRGBA
        let width = Int(image.width), height = Int(image.height)
        if let side, width != side || height != side { throw PNGError.wrongSize(file: file, width: width, height: height, expected: side) }
        guard width > 0, height > 0, width <= 16384, height <= 16384 else {
            throw PNGError.decode(file: file, reason: "unsupported size \(width)×\(height)")
        }
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let ok = rgba.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else { throw PNGError.decode(file: file, reason: message(image)) }
        return (width, height, rgba)
    }

    /// Decodes a sketch PNG to a 512×512 canvas: luma `(299R + 587G + 114B) / 1000` composited over
    /// white paper by alpha (a transparent background reads as paper).
    public static func decodeCanvas(_ data: [UInt8], file: String = "<memory>") throws -> Canvas {
        let (w, h, rgba) = try decodeRGBA(data, file: file, side: Canvas.side)
        var pixels = [UInt8](repeating: 255, count: w * h)
        for i in 0..<(w * h) {
            let r = Int(rgba[4 * i]), g = Int(rgba[4 * i + 1]), b = Int(rgba[4 * i + 2]), a = Int(rgba[4 * i + 3])
            let luma = (299 * r + 587 * g + 114 * b + 500) / 1000
            pixels[i] = UInt8((luma * a + 255 * (255 - a) + 127) / 255)
        }
        return Canvas(pixels: pixels)
    }

    /// Reads and decodes a sketch file.
    public static func readCanvas(path: String) throws -> Canvas {
        let data: [UInt8]
        do { data = try readFileBytes(path) } catch let f as FileReadFailure { throw PNGError.unreadable(file: path, reason: f.reason) }
        return try decodeCanvas(data, file: path)
    }

    /// Reads a photo as 8-bit RGB, any size: grey is replicated to R = G = B, alpha is ignored.
    public static func readRGB(path: String) throws -> RGBImage {
        let data: [UInt8]
        do { data = try readFileBytes(path) } catch let f as FileReadFailure { throw PNGError.unreadable(file: path, reason: f.reason) }
        let (w, h, rgba) = try decodeRGBA(data, file: path)
        var rgb = [UInt8](repeating: 0, count: 3 * w * h)
        for i in 0..<(w * h) { rgb[3 * i] = rgba[4 * i]; rgb[3 * i + 1] = rgba[4 * i + 1]; rgb[3 * i + 2] = rgba[4 * i + 2] }
        return RGBImage(width: w, height: h, pixels: rgb)
    }

    /// `fast` trades ~25% larger files for much faster deflate (libpng's `PNG_IMAGE_FLAG_FAST`): the
    /// right choice for per-stroke shadows and faces sent to a browser.
    static func encode(_ pixels: [UInt8], width: Int, height: Int, format: UInt32, fast: Bool = true) throws -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.flags = fast ? UInt32(PNG_IMAGE_FLAG_FAST) : 0
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = format
        var size = 0
        let sized = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
        guard sized != 0, size > 0 else { throw PNGError.encode(reason: message(image)) }
        var out = [UInt8](repeating: 0, count: size)
        let ok = out.withUnsafeMutableBytes { dst in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, dst.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard ok != 0 else { throw PNGError.encode(reason: message(image)) }
        return Array(out.prefix(size))
    }

    /// PNG bytes of an RGB image (`fast`: quicker deflate, larger file; see `encode(_:width:height:format:fast:)`).
    public static func encode(_ image: RGBImage, fast: Bool = true) throws -> [UInt8] {
        try encode(image.pixels, width: image.width, height: image.height, format: formatRGB, fast: fast)
    }

    /// PNG bytes of a grey+alpha image (`grey`, `alpha` each width·height).
    public static func encodeGreyAlpha(grey: [UInt8], alpha: [UInt8], width: Int, height: Int, fast: Bool = true) throws -> [UInt8] {
        precondition(grey.count == width * height && alpha.count == width * height)
        var interleaved = [UInt8](repeating: 0, count: 2 * width * height)
        for i in 0..<(width * height) { interleaved[2 * i] = grey[i]; interleaved[2 * i + 1] = alpha[i] }
        return try encode(interleaved, width: width, height: height, format: formatGrayAlpha, fast: fast)
    }

    /// PNG bytes of a shadow: grey 0 with the shadow's alpha.
    public static func encode(_ shadow: Shadow, fast: Bool = true) throws -> [UInt8] {
        try encodeGreyAlpha(grey: [UInt8](repeating: 0, count: shadow.alpha.count), alpha: shadow.alpha, width: shadow.side, height: shadow.side, fast: fast)
    }

    /// PNG bytes of a grey image (e.g. a canvas).
    public static func encodeGrey(_ grey: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        try encode(grey, width: width, height: height, format: formatGray)
    }

    /// Writes PNG bytes to `path`.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        do { try writeFileBytes(path, bytes) } catch let f as FileReadFailure { throw PNGError.unwritable(file: path, reason: f.reason) }
    }
}
