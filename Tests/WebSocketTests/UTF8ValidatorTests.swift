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
        let r1 = validator.validate(bytes)
        #expect(!r1)
        #expect(validator.hasFailed)
    }

    @Test func incompleteSequenceIsNotComplete() {
        var validator = UTF8Validator()
        let r2 = validator.validate([0x68, 0xE2, 0x82])
        #expect(r2)
        #expect(!validator.isComplete)
        let r3 = validator.validate([0xAC])
        #expect(r3)  // completes "€"
        #expect(validator.isComplete)
    }

    @Test func sequenceSplitAtEveryPointValidatesLikeWhole() {
        let bytes = Array("aé€😀z".utf8)
        for cut in 0 ... bytes.count {
            var validator = UTF8Validator()
            let r4 = validator.validate(Array(bytes[..<cut]))
            #expect(r4)
            let r5 = validator.validate(Array(bytes[cut...]))
            #expect(r5)
            #expect(validator.isComplete)
        }
    }

    @Test func failsAtTheFirstInvalidByteWithoutWaitingForMore() {
        var validator = UTF8Validator()
        let r6 = validator.validate(Array("valid so far ".utf8))
        #expect(r6)
        let r7 = validator.validate([0xF4, 0x90])
        #expect(!r7)  // U+110000 lead: refused at its second byte
    }

    @Test func asciiFastPathStillChecksTrailingBytes() {
        var text = [UInt8](repeating: 0x61, count: 64)
        text.append(0xC0)
        #expect(!UTF8Validator.isValid(text))
    }

    @Test func failureIsSticky() {
        var validator = UTF8Validator()
        let r8 = validator.validate([0xFF])
        #expect(!r8)
        let r9 = validator.validate([0x41])
        #expect(!r9)
        validator.reset()
        let r10 = validator.validate([0x41])
        #expect(r10)
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
