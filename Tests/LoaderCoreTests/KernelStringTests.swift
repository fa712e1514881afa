import Testing
@testable import LoaderCore

@Suite struct KernelStringTests {
    @Test func stopsAtNulOrAtTheEnd() {
        let terminated: (CChar, CChar, CChar, CChar) = (104, 105, 0, 120)
        #expect(KernelString.from(tuple: terminated) == "hi")
        let unterminated: (CChar, CChar, CChar, CChar) = (97, 98, 99, 100)
        #expect(KernelString.from(tuple: unterminated) == "abcd")
    }

    @Test func splitsPackedStrings() {
        let bytes: [UInt8] = Array("a\0bc\0\0d".utf8)
        bytes.withUnsafeBytes { #expect(KernelString.split($0) == ["a", "bc", "", "d"]) }
    }

    @Test func invalidUTF8DoesNotCrash() {
        let bytes: [UInt8] = [0xff, 0xfe, 0x41, 0]
        bytes.withUnsafeBytes { #expect(KernelString.from(bytes: $0).hasSuffix("A")) }
    }

    @Test func base64RoundTrip() {
        #expect(Base64.decode("aGVsbG8=") == Array("hello".utf8))
        #expect(Base64.decode("AAEC/w==") == [0, 1, 2, 255])
    }
}

@Suite struct UsersTests {
    @Test func readsPasswdLines() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nsvc-1:x:4242:4242::/nonexistent:/usr/sbin/nologin\n"
        #expect(Users.passwdUID(named: "svc-1", in: passwd) == 4242)
        #expect(Users.passwdUID(named: "root", in: passwd) == 0)
        #expect(Users.passwdUID(named: "svc", in: passwd) == nil)
    }
}
