@testable import KeyGateClient
import Testing

/// What mirror --delete removes: the destination's entries the source does
/// not hold, files first and folders deepest first, never a link, a name
/// that is not plain, or a folder that holds either.
struct MirrorDeletionsTests {
    typealias Entry = MirrorDeletions.Entry

    @Test func entriesTheSourceHoldsStayAndTheOthersGoFoldersDeepestFirst() {
        let plan = MirrorDeletions(destination: [
            Entry(path: "a", kind: .directory), Entry(path: "a/kept.txt", kind: .file), Entry(path: "a/extra.txt", kind: .file),
            Entry(path: "gone", kind: .directory), Entry(path: "gone/sub", kind: .directory),
            Entry(path: "gone/sub/deep.txt", kind: .file), Entry(path: "empty", kind: .directory),
            Entry(path: "top.txt", kind: .file),
        ], source: ["a", "a/kept.txt", "top.txt"])
        #expect(plan.files == ["a/extra.txt", "gone/sub/deep.txt"])
        #expect(plan.folders == ["gone/sub", "empty", "gone"])
        #expect(plan.kept.isEmpty)
    }

    @Test func aPathTheSourceHoldsAsAnotherKindStays() {
        // The source's link or file `x` keeps the destination's `x`, whatever it is.
        let plan = MirrorDeletions(destination: [Entry(path: "x", kind: .directory), Entry(path: "y", kind: .file)],
                                   source: ["x", "y"])
        #expect(plan.isEmpty)
    }

    /// The source holds `x` as a link (not followed) and lists `part` only
    /// in part: the destination's contents below either stay; elsewhere an
    /// extra file still goes.
    @Test func nothingGoesBelowWhatTheSourceDidNotShow() {
        let plan = MirrorDeletions(destination: [
            Entry(path: "x", kind: .directory), Entry(path: "x/a.txt", kind: .file), Entry(path: "x/sub", kind: .directory),
            Entry(path: "x/sub/b.txt", kind: .file), Entry(path: "part", kind: .directory),
            Entry(path: "part/refused-name.txt", kind: .file), Entry(path: "other.txt", kind: .file),
        ], source: ["x", "part"], unseen: ["x", "part"])
        #expect(plan.files == ["other.txt"])
        #expect(plan.folders.isEmpty)
        #expect(Set(plan.kept.map(\.path)) == ["x/a.txt", "x/sub", "x/sub/b.txt", "part/refused-name.txt"])
        #expect(plan.kept.allSatisfy { $0.reason == MirrorDeletions.unseenReason })
        // The top listed in part: nothing goes at all.
        let top = MirrorDeletions(destination: [Entry(path: "other.txt", kind: .file)], source: [], unseen: [""])
        #expect(top.files.isEmpty && top.kept.map(\.path) == ["other.txt"])
    }

    @Test func linksAndSpecialFilesAreKeptAndSoAreTheFoldersHoldingThem() {
        let plan = MirrorDeletions(destination: [
            Entry(path: "old", kind: .directory), Entry(path: "old/inner", kind: .directory),
            Entry(path: "old/inner/link", kind: .other), Entry(path: "old/file", kind: .file),
            Entry(path: "other", kind: .directory),
        ], source: [])
        #expect(plan.files == ["old/file"])
        #expect(plan.folders == ["other"])
        #expect(plan.kept == [
            MirrorDeletions.Kept(path: "old/inner/link", reason: MirrorDeletions.linkReason),
            MirrorDeletions.Kept(path: "old", reason: MirrorDeletions.holdsReason),
            MirrorDeletions.Kept(path: "old/inner", reason: MirrorDeletions.holdsReason),
        ])
    }

    /// Hostile or odd names are never acted on, whichever side they come from.
    @Test(arguments: ["..", "a/..", ".", "a//b", "", "new\nline", "a/../../etc/passwd", "/etc/passwd"])
    func namesThatAreNotPlainAreNeverRemoved(path: String) {
        let plan = MirrorDeletions(destination: [Entry(path: "a", kind: .directory), Entry(path: path, kind: .file)],
                                   source: [])
        #expect(!plan.files.contains(path))
        #expect(plan.kept.contains(MirrorDeletions.Kept(path: path, reason: MirrorDeletions.nameReason)))
    }

    @Test func aFolderWhoseListingRefusedNamesIsNotRemoved() {
        let plan = MirrorDeletions(destination: [
            Entry(path: "a", kind: .directory), Entry(path: "a/b", kind: .directory), Entry(path: "a/b/f", kind: .file),
        ], source: [], unlisted: ["a/b"])
        #expect(plan.files == ["a/b/f"])
        #expect(plan.folders.isEmpty)
        #expect(plan.kept.map(\.path) == ["a", "a/b"])
    }
}
