@testable import KeyGateClient
import Testing

/// MLSD lines as the client reads them, hostile names included.
struct RemoteEntryTests {
    @Test func factLinesGiveKindSizeAndTime() {
        let (entries, refused) = RemoteEntry.parseListing(Array("""
            type=file;size=12;modify=20200229123456;perm=adfrw; a b.txt\r
            type=dir;modify=20200101000000;perm=cdeflmp; sub\r
            type=OS.unix=symlink;modify=20200101000000;perm=df; link\r
            type=cdir;perm=el; .\r
            type=OS.unix=special;modify=20200101000000; fifo\r

            """.utf8))
        #expect(refused.isEmpty)
        #expect(entries == [
            RemoteEntry(name: "a b.txt", kind: .file, size: 12, modified: 1_582_979_696),
            RemoteEntry(name: "sub", kind: .directory, size: nil, modified: 1_577_836_800),
            RemoteEntry(name: "link", kind: .symbolicLink, size: nil, modified: 1_577_836_800),
            RemoteEntry(name: "fifo", kind: .other, size: nil, modified: 1_577_836_800),
        ])
    }

    /// A server that lists `..`, a path or control characters cannot make
    /// the client write outside the folder it was given.
    @Test(arguments: [
        "type=file;size=1; ..", "type=file;size=1; .", "type=file;size=1; ../../etc/passwd", "type=file;size=1; /etc/passwd",
        "type=file;size=1; a/b", "type=file;size=1; ", "type=file;size=1; bell\u{07}", "type=file;size=x; a",
        "type=file;size=-1; a", "type=file;modify=2020; a", "no facts", "type; a", "",
    ])
    func hostileOrMalformedLinesAreRefused(line: String) {
        #expect(RemoteEntry.parse(line) == nil, "\(line)")
    }

    @Test func theNameOfAListLineKeepsItsSpaces() {
        #expect(FTPShell.nameInListLine("-rw-r--r-- 1 ftp ftp 100000 Nov  3 19:40 two  spaces.txt") == "two  spaces.txt")
        #expect(FTPShell.nameInListLine("drwxr-xr-x 2 ftp ftp 4096 Jan 12  2020 old") == "old")
        #expect(FTPShell.nameInListLine("total 0") == nil)
    }

    @Test func globsFollowFnmatchWithALeadingDotProtected() {
        #expect(GlobPattern("*.txt").matches("a.txt"))
        #expect(!GlobPattern("*.txt").matches(".hidden.txt"))
        #expect(GlobPattern(".*").matches(".hidden"))
        #expect(GlobPattern("[ab]?.log").matches("bx.log"))
        #expect(!GlobPattern("[ab]?.log").matches("cx.log"))
        #expect(GlobPattern("d\\[1\\].txt").matches("d[1].txt"))
        #expect(GlobPattern.split("dir/sub/*.txt") == ("dir/sub", "*.txt"))
        #expect(GlobPattern.split("/*.txt") == ("/", "*.txt"))
        #expect(GlobPattern.split("*.txt") == (nil, "*.txt"))
        #expect(GlobPattern.hasWildcards("a[1]") && !GlobPattern.hasWildcards("plain name"))
    }
}
