import Foundation
import Testing

import CEL
@testable import VerdictCompiler
@testable import VerdictDecode
@testable import VerdictModel

/// The policy cache (`PolicyCache`, `DocumentCoding`): a document read back
/// is the document decoded from YAML, part for part and position for
/// position; a hit answers, explains and digests exactly as a miss; a
/// changed file, a damaged entry or an unwritable folder is a miss, never
/// an error.
@Suite struct PolicyCacheTests {
    /// Every YAML file of the repository that decodes as a policy without a problem.
    static let corpus: [(path: String, document: PolicyDocument)] = {
        var out: [(String, PolicyDocument)] = []
        let root = Repo.root
        for folder in ["policies", "examples", "Tests", "docs"] {
            guard let walk = FileManager.default.enumerator(atPath: root + "/" + folder) else { continue }
            for case let relative as String in walk
            where (relative.hasSuffix(".yaml") || relative.hasSuffix(".yml")) && !PolicySet.isTestFile(relative) {
                let path = folder + "/" + relative
                guard let data = FileManager.default.contents(atPath: root + "/" + path) else { continue }
                let (outcome, diagnostics) = PolicyFileReader.read(path: path, bytes: [UInt8](data))
                if case .document(let d) = outcome, diagnostics.isEmpty { out.append((path, d)) }
            }
        }
        return out.sorted { $0.0 < $1.0 }
    }()

    /// Every offset an expression's `locate` can be asked, and a few outside.
    static func positions(_ e: ExprSource) -> [String] {
        (-2...(e.text.unicodeScalars.count + 2)).map { "\(e.locate($0))" }
    }

    static func expressions(_ d: PolicyDocument) -> [ExprSource] {
        d.rules.flatMap { rule -> [ExprSource] in
            switch rule.body {
            case .expr(let e): return [e]
            case .table(let t):
                return (t.rows + (t.defaultRow.map { [$0] } ?? [])).flatMap { [$0.when, $0.then].compactMap { $0 } }
                    + t.gaps.map(\.when)
            case .items(let items): return items.map(\.when)
            case nil: return []
            }
        }
    }

    @Test func theCorpusIsLarge() {
        #expect(Self.corpus.count >= 20, "only \(Self.corpus.count) policy files decoded")
    }

    @Test func everyDocumentReadsBackAsWritten() throws {
        for (path, original) in Self.corpus {
            let bytes = try #require(DocumentCoding.encode(original), "\(path) was not encoded")
            let back = try #require(bytes.withUnsafeBytes { DocumentCoding.decode($0) }, "\(path) did not read back")
            // Every stored part: the encoding of the copy is the encoding of the original.
            #expect(DocumentCoding.encode(back) == bytes, "\(path)")
            let a = Self.expressions(original)
            let b = Self.expressions(back)
            #expect(a.count == b.count, "\(path)")
            for (x, y) in zip(a, b) {
                #expect(x.text == y.text && x.at == y.at, "\(path): \(x.text)")
                #expect(Self.positions(x) == Self.positions(y), "\(path): positions inside `\(x.text)`")
            }
        }
    }

    /// A field added to the model must be added to the coding: these are the
    /// stored properties it writes, type by type.
    @Test func theCodingWritesEveryStoredProperty() {
        let ref = SourceRef(file: "f", line: 1, column: 1)
        let expr = ExprSource(text: "x", at: ref) { _ in (1, 1) }
        func count(_ value: Any) -> Int { Mirror(reflecting: value).children.count }
        #expect(count(PolicyDocument(path: "p", name: "n", nameAt: ref)) == 21)
        #expect(count(InputDecl(name: "n", path: "n", type: .int, at: ref)) == 11)
        #expect(count(ParameterDecl(name: "n", at: ref)) == 10)
        #expect(count(RuleDecl(name: "n", at: ref)) == 8)
        #expect(count(RowDecl(when: nil, then: expr, at: ref)) == 5)
        #expect(count(TableDecl(hit: .first, rows: [], defaultRow: nil, at: ref)) == 5)
        #expect(count(GapDecl(when: expr, at: ref)) == 4)
        #expect(count(ItemDecl(id: "i", idAt: ref, when: expr, at: ref)) == 6)
        #expect(count(CatalogEntryDecl(id: "i", at: ref)) == 7)
        #expect(count(CatalogDecl(name: "c", entries: [], at: ref)) == 3)
        #expect(count(SelectorDecl(key: "k", keyAt: ref, values: [], at: ref)) == 4)
        #expect(count(Literal(kind: .list([]), at: ref)) == 2)
        #expect(
            count(Literal.Scalar(text: "", isQuoted: false, isNull: false, bool: nil, int: nil, double: nil)) == 6)
        #expect(count(ref) == 4)
        #expect(count(Label(zh: "", en: "")) == 2)
        #expect(count(expr) == 4)
    }

    @Test func damagedBytesNeverCrashTheReader() throws {
        let (_, document) = try #require(Self.corpus.first { $0.path.hasSuffix("policies/equipment.yaml") })
        let bytes = try #require(DocumentCoding.encode(document))
        // Every prefix but the whole is unreadable.
        for n in stride(from: 0, to: bytes.count, by: 7) {
            #expect(Array(bytes[0..<n]).withUnsafeBytes { DocumentCoding.decode($0) } == nil)
        }
        // Bytes changed here and there read as nothing or as some document, never a crash.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = damaged.withUnsafeBytes { DocumentCoding.decode($0) }
        }
        #expect(Array(bytes + [0]).withUnsafeBytes { DocumentCoding.decode($0) } == nil, "trailing bytes")
    }

    static func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "verdict-cache-\(UUID().uuidString)"
        return path
    }

    /// The shipped policy files, `domestic.yaml` among them, and its document.
    static func shippedDomestic() throws -> (
        files: [(path: String, bytes: [UInt8])], domestic: (path: String, bytes: [UInt8]), document: PolicyDocument
    ) {
        let files = try Repo.policyFiles()
        let domestic = try #require(files.first { $0.path.hasSuffix("domestic.yaml") })
        guard case (.document(let document), _) = PolicyFileReader.read(path: domestic.path, bytes: domestic.bytes) else {
            throw TestFailure("domestic.yaml did not decode")
        }
        return (files, domestic, document)
    }

    static func entries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".vdoc") }.sorted()
    }

    static let tickets: [String] = (try? Repo.lines("examples/tickets.jsonl")) ?? []

    @Test func aHitAnswersExplainsAndDigestsAsAMiss() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = try #require(PolicyCache(directory: folder + "/nested/verdict"))
        let files = try Repo.policyFiles()
        let plain = try PolicySet.load(files: files)
        let miss = try PolicySet.load(files: files, cache: cache)
        #expect(Self.entries(cache.directory).count == files.count, "every file is kept")
        let hit = try PolicySet.load(files: files, cache: cache)
        #expect(!Self.tickets.isEmpty)
        let expected = try answer(Self.tickets, with: plain, explain: true)
        #expect(try answer(Self.tickets, with: miss, explain: true) == expected)
        #expect(try answer(Self.tickets, with: hit, explain: true) == expected)
        #expect(hit.policies.map(\.digest) == plain.policies.map(\.digest))
        #expect(hit.snapshots == plain.snapshots)
        for (a, b) in zip(hit.sourceMaps, plain.sourceMaps) {
            #expect(a.file == b.file && a.chain == b.chain)
            for element in [PolicyElement.policy, .version, .appliesTo] { #expect(a[element] == b[element]) }
        }
    }

    /// Threads of one process storing the same file at once (two tests
    /// loading the same policies do) each write under a name of their own:
    /// the entry left is whole, and no temporary file stays behind.
    @Test func concurrentStoresOfOneFileLeaveOneWholeEntry() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = try #require(PolicyCache(directory: folder))
        let (_, domestic, document) = try Self.shippedDomestic()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            cache.store(document, path: domestic.path, bytes: domestic.bytes)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(names.count == 1 && names.allSatisfy { $0.hasSuffix(".vdoc") }, "\(names)")
        let back = try #require(cache.document(path: domestic.path, bytes: domestic.bytes))
        #expect(DocumentCoding.encode(back) == DocumentCoding.encode(document))
    }

    @Test func theCacheIsReadWhenItHoldsTheFile() throws {
        // An entry written for the file's exact bytes is what the load uses:
        // here one whose version differs, which only the cache could give.
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = try #require(PolicyCache(directory: folder))
        var (files, domestic, document) = try Self.shippedDomestic()
        document.version = "from-the-cache"
        cache.store(document, path: domestic.path, bytes: domestic.bytes)
        let set = try PolicySet.load(files: files, cache: cache)
        #expect(set.policy(named: "domestic")?.identity.version == "from-the-cache")
        // An entry others may write is not trusted.
        let entry = cache.entryPath(path: domestic.path, bytes: domestic.bytes)
        chmod(entry, 0o666)
        #expect(try PolicySet.load(files: files, cache: cache).policy(named: "domestic")?.identity.version == "2026.1")
        // ... and is replaced by one of its own, read from the YAML.
        let mode = try FileManager.default.attributesOfItem(atPath: entry)[.posixPermissions] as? Int
        #expect(mode == 0o644)
        // The same bytes at another path, or other bytes at the same path, miss.
        let moved = files.map { $0.path == domestic.path ? ("elsewhere/domestic.yaml", $0.bytes) : $0 }
        #expect(try PolicySet.load(files: moved, cache: cache).policy(named: "domestic")?.identity.version == "2026.1")
        let edited = files.map { $0.path == domestic.path ? ($0.path, $0.bytes + Array("\n".utf8)) : $0 }
        #expect(try PolicySet.load(files: edited, cache: cache).policy(named: "domestic")?.identity.version == "2026.1")
    }

    @Test func aDamagedEntryIsAMissAndIsWrittenAgain() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = try #require(PolicyCache(directory: folder))
        let files = try Repo.policyFiles()
        let expected = try answer(Self.tickets, with: try PolicySet.load(files: files), explain: true)
        _ = try PolicySet.load(files: files, cache: cache)
        let names = Self.entries(folder)
        #expect(names.count == files.count)
        for (k, name) in names.enumerated() {
            let path = folder + "/" + name
            var bytes = try #require(FileManager.default.contents(atPath: path))
            switch k % 3 {
            case 0: bytes = bytes.prefix(bytes.count / 2)  // truncated
            case 1: bytes[bytes.count / 2] ^= 0x5A  // a byte changed (the checksum catches it)
            default: bytes = Data()  // empty
            }
            try bytes.write(to: URL(fileURLWithPath: path))
        }
        #expect(try answer(Self.tickets, with: try PolicySet.load(files: files, cache: cache), explain: true) == expected)
        // Each damaged entry was replaced by a whole one.
        let again = try PolicySet.load(files: files, cache: cache)
        #expect(try answer(Self.tickets, with: again, explain: true) == expected)
        for name in Self.entries(folder) {
            let bytes = try #require(FileManager.default.contents(atPath: folder + "/" + name))
            #expect(bytes.count > 64, "\(name) is whole again")
        }
    }

    @Test func anUnwritableFolderOnlyMeansNoCache() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A regular file where the folder's parent should be.
        _ = FileManager.default.createFile(atPath: folder, contents: Data("not a folder".utf8))
        let cache = try #require(PolicyCache(directory: folder + "/verdict"))
        let files = try Repo.policyFiles()
        let set = try PolicySet.load(files: files, cache: cache)
        #expect(try answer(Self.tickets, with: set) == (try answer(Self.tickets, with: try PolicySet.load(files: files))))
    }

    @Test func filesWithProblemsAreNotKept() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = try #require(PolicyCache(directory: folder))
        var files = try Repo.policyFiles()
        files[0].bytes += Array("\nunknown_key: 1\n".utf8)
        #expect(throws: PolicyLoadError.self) { try PolicySet.load(files: files, cache: cache) }
        #expect(Self.entries(folder).count == files.count - 1)
    }

    @Test func largeFilesAreNotKept() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = try #require(PolicyCache(directory: folder))
        var files = try Repo.policyFiles()
        files[0].bytes += Array(("\n# " + String(repeating: "padding ", count: PolicyCache.maxFileBytes / 8)).utf8)
        #expect(files[0].bytes.count >= PolicyCache.maxFileBytes)
        _ = try PolicySet.load(files: files, cache: cache)
        #expect(Self.entries(folder).count == files.count - 1)
    }

    @Test func largeSetsAreNotKept() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cache = try #require(PolicyCache(directory: folder))
        var files = try Repo.policyFiles()
        for i in 0..<PolicyCache.maxFilesPerSet {
            files.append(("policies/extra_\(i).yaml", Array("policy: extra_\(i)\nabstract: true\n".utf8)))
        }
        _ = try? PolicySet.load(files: files, cache: cache)
        #expect(Self.entries(folder).isEmpty)
    }

    @Test func theOldestEntriesGoWhenTheFolderIsFull() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for i in 0..<PolicyCache.maxEntries {
            let path = folder + "/old-\(i).vdoc"
            _ = FileManager.default.createFile(atPath: path, contents: Data([1]))
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: 1_000_000 + Double(i))], ofItemAtPath: path)
        }
        let cache = try #require(PolicyCache(directory: folder))
        _ = try PolicySet.load(files: try Repo.policyFiles(), cache: cache)
        let left = Self.entries(folder)
        #expect(left.count < PolicyCache.maxEntries)
        #expect(!left.contains("old-0.vdoc"), "the oldest went first")
        #expect(left.filter { !$0.hasPrefix("old-") }.count == 5, "the new entries stay")
    }

    @Test func theEnvironmentChoosesTheFolder() {
        func standard(_ env: [String: String]) -> String? { PolicyCache.standard { env[$0] }?.directory }
        // `VERDICT_CACHE` wins; `off` turns the cache off; then XDG's folder, then the home's.
        let home = ["HOME": "/home/owner", "XDG_CACHE_HOME": "/xdg"]
        #expect(standard(home.merging(["VERDICT_CACHE": "/tmp/some-cache"]) { $1 }) == "/tmp/some-cache")
        #expect(standard(home.merging(["VERDICT_CACHE": "off"]) { $1 }) == nil)
        #expect(standard(home) == "/xdg/verdict")
        #expect(standard(["HOME": "/home/owner", "XDG_CACHE_HOME": "relative"]) == "/home/owner/.cache/verdict")
        #expect(standard(["HOME": "/home/owner", "VERDICT_CACHE": ""]) == "/home/owner/.cache/verdict")
        #expect(standard([:]) == nil)
    }
}
