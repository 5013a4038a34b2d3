import Testing
@testable import WebSocket

@Suite struct UTF8ValidatorTests {
    @Test(arguments: ["", "plain ascii", "κόσμε", "日本語テキスト", "emoji 😀🎨", "\u{10FFFF}", "\u{FFFD}", "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}"])
    func validTextIsAccepted(text: String) {
        #expect(UTF8Validator.isValid(Array(text.utf8)))
    }

    @Test(arguments: [
        [UInt8(0x80)],                  // stray continuation
        [0xC0, 0x80],                   // overlong NUL
        [0xC1, 0xBF],                   // overlong
        [0xE0, 0x80, 0x80],             // overlong 3-byte
        [0xED, 0xA0, 0x80],             // surrogate U+D800
        [0xF0, 0x80, 0x80, 0x80],       // overlong 4-byte
        [0xF4, 0x90, 0x80, 0x80],       // above U+10FFFF
        [0xF5, 0x80, 0x80, 0x80],       // invalid lead
        [0xFF],
        [0xCE, 0x41],                   // lead followed by ASCII
    ])
    func invalidSequencesAreRefused(bytes: [UInt8]) {
        var validator = UTF8Validator()
        let valid = validator.validate(bytes)
        #expect(!valid)
        #expect(validator.hasFailed)
    }

    @Test func incompleteSequenceIsNotComplete() {
        var validator = UTF8Validator()
        let prefixValid = validator.validate([0x68, 0xE2, 0x82])
        #expect(prefixValid)
        #expect(!validator.isComplete)
        let restValid = validator.validate([0xAC])
        #expect(restValid)  // completes "€"
        #expect(validator.isComplete)
    }

    @Test func sequenceSplitAtEveryPointValidatesLikeWhole() {
        let bytes = Array("aé€😀z".utf8)
        for cut in 0 ... bytes.count {
            var validator = UTF8Validator()
            let headValid = validator.validate(Array(bytes[..<cut]))
            #expect(headValid)
            let tailValid = validator.validate(Array(bytes[cut...]))
            #expect(tailValid)
            #expect(validator.isComplete)
        }
    }

    @Test func failsAtTheFirstInvalidByteWithoutWaitingForMore() {
        var validator = UTF8Validator()
        let prefixValid = validator.validate(Array("valid so far ".utf8))
        #expect(prefixValid)
        let stillValid = validator.validate([0xF4, 0x90])
        #expect(!stillValid)  // U+110000 lead: refused at its second byte
    }

    @Test func asciiFastPathStillChecksTrailingBytes() {
        var text = [UInt8](repeating: 0x61, count: 64)
        text.append(0xC0)
        #expect(!UTF8Validator.isValid(text))
    }

    @Test func failureIsSticky() {
        var validator = UTF8Validator()
        let firstValid = validator.validate([0xFF])
        #expect(!firstValid)
        let afterFailureValid = validator.validate([0x41])
        #expect(!afterFailureValid)
        validator.reset()
        let afterResetValid = validator.validate([0x41])
        #expect(afterResetValid)
    }

    @Test func matchesStandardLibraryOnAllTwoByteInputs() {
        for a in 0 ... 255 {
            for b in 0 ... 255 {
                let bytes = [UInt8(a), UInt8(b)]
                #expect(UTF8Validator.isValid(bytes) == (String(validating: bytes, as: UTF8.self) != nil))
            }
        }
    }
}
