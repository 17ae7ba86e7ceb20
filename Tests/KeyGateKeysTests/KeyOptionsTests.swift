import Glibc
@testable import KeyGateKeys
import Testing

/// The options field of an allow-list line, OpenSSH style.
struct KeyOptionsTests {
    @Test func everyOptionParsesAndWritesBackTheSame() throws {
        let field = #"from="127.0.0.1,10.0.0.0/8,::1",services="chat,ftp",ftp="read-only",ftp-root="projects/alpha",expiry-time="20271231Z""#
        let options = try KeyOptions(parsing: field)
        #expect(options.services == ["chat", "ftp"])
        #expect(options.ftpReadOnly)
        #expect(options.ftpRoot == "projects/alpha")
        #expect(options.from?.map(\.description) == ["127.0.0.1", "10.0.0.0/8", "::1"])
        #expect(options.expiry?.text == "20271231Z")
        #expect(options.description == field)
        #expect(try KeyOptions(parsing: options.description) == options)
    }

    @Test func quotesAndBackslashesInValuesRoundTrip() throws {
        let options = try KeyOptions(parsing: #"ftp-root="a\"b\\c""#)
        #expect(options.ftpRoot == #"a"b\c"#)
        #expect(try KeyOptions(parsing: options.description) == options)
    }

    @Test(arguments: [
        ("nosuch=\"x\"", "nosuch"),
        ("services=chat", "services"),
        ("services=\"chat", "services"),
        ("services=\"chat\",services=\"ftp\"", "services"),
        ("services=\"Chat\"", "services"),
        ("services=\"\"", "services"),
        ("ftp=\"read-write\"", "ftp"),
        ("ftp-root=\"/etc\"", "ftp-root"),
        ("ftp-root=\"a/../../etc\"", "ftp-root"),
        ("ftp-root=\"..\"", "ftp-root"),
        ("ftp-root=\"a//b\"", "ftp-root"),
        ("ftp-root=\"\"", "ftp-root"),
        ("from=\"10.0.0.0/33\"", "from"),
        ("from=\"10.0.0.1/8\"", "from"),
        ("from=\"example.com\"", "from"),
        ("from=\"10.0.0.0/8,\"", "from"),
        ("from=\"::1/129\"", "from"),
        ("expiry-time=\"2027\"", "expiry-time"),
        ("expiry-time=\"20270231\"", "expiry-time"),
        ("expiry-time=\"20271301\"", "expiry-time"),
        ("expiry-time=\"2027123125\"", "expiry-time"),
        ("services=\"chat\" ,ftp=\"read-only\"", "services"),
        ("services=\"chat\",", "services"),
    ])
    func malformedOptionsAreRefusedNamingTheOption(field: String, option: String) {
        #expect {
            try KeyOptions(parsing: field)
        } throws: { error in
            guard case let .invalidOption(name, _)? = error as? KeyLineProblem else { return false }
            return name == option
        }
    }

    @Test func fromMatchesAddressesAndRangesOfBothFamilies() throws {
        let options = try KeyOptions(parsing: #"from="127.0.0.1,10.0.0.0/8,fd00::/8""#)
        #expect(options.allows(host: "127.0.0.1"))
        #expect(options.allows(host: "10.200.3.4"))
        #expect(options.allows(host: "::ffff:10.1.2.3"))
        #expect(options.allows(host: "fd12::1"))
        #expect(!options.allows(host: "127.0.0.2"))
        #expect(!options.allows(host: "11.0.0.1"))
        #expect(!options.allows(host: "::1"))
        #expect(!options.allows(host: "not an address"))
        #expect(KeyOptions().allows(host: "192.0.2.1"))
    }

    @Test func servicesLimitWhatMayBeAskedFor() throws {
        let options = try KeyOptions(parsing: #"services="chat""#)
        #expect(options.allows(service: "chat"))
        #expect(!options.allows(service: "ftp"))
        #expect(KeyOptions().allows(service: "ftp"))
    }

    @Test func expiryInUTCAndInLocalTimeWithADateMeaningTheStartOfTheDay() throws {
        let utc = try #require(KeyExpiry("20270101Z"))
        #expect(utc.secondsSince1970 == 1_798_761_600)
        let halfPastOne: Int64 = 1_798_761_600 + 5_400
        #expect(KeyExpiry("202701010130Z")?.secondsSince1970 == halfPastOne)
        #expect(KeyExpiry("20270101013015Z")?.secondsSince1970 == halfPastOne + 15)
        var fields = tm()
        fields.tm_year = 127
        fields.tm_mon = 0
        fields.tm_mday = 1
        fields.tm_isdst = -1
        #expect(KeyExpiry("20270101")?.secondsSince1970 == Int64(mktime(&fields)))
        let options = try KeyOptions(parsing: #"expiry-time="20270101Z""#)
        #expect(!options.hasExpired(at: 1_798_761_599))
        #expect(options.hasExpired(at: 1_798_761_600))
        #expect(!KeyOptions().hasExpired(at: .max))
    }

    @Test func aDurationFromNowIsWrittenInUTC() {
        let expiry = KeyExpiry(after: 3_600, from: 1_798_761_600)
        #expect(expiry.text == "20270101010000Z")
        #expect(KeyExpiry(expiry.text) == expiry)
    }
}
