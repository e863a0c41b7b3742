import CEL
import FoundationEssentials
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import VerdictDecode
import VerdictModel
import VerdictRuntime

/// Every policy of a folder, loaded, checked and compiled: all or nothing.
/// For each concrete policy (those that answer tickets, sorted by name): its
/// runtime form, its snapshot and its source map, at the same index.
public final class PolicySet: @unchecked Sendable {
    public let compiled: CompiledPolicySet
    public let snapshots: [PolicySnapshot]
    public let sourceMaps: [PolicySourceMap]
    /// What marks itself as kept for the record, per policy.
    let informational: [Set<PolicyElement>]
    /// New names close to inherited ones, per policy (a misspelt override, when nothing uses the new name).
    let inherited: [InheritedNames]
    /// The declared gaps of each policy's tables.
    let declaredGaps: [[String: [DeclaredGap]]]
    /// Each policy's rules' worst cases per ticket (`check --costs`).
    public let costs: [[RuleCost]]
    /// The text of every file read, by path (for rendering positions).
    public let sources: [String: [UInt8]]
    /// The size of the policies as read, in bytes of YAML.
    public var sourceBytes: Int { sources.values.reduce(0) { $0 + $1.count } }
    /// Problems that do not stop the policies from working (`check` prints
    /// them; `check --strict` fails on them), sorted by position.
    public internal(set) var warnings: [PolicyDiagnostic] = []

    init(units: [CompiledUnit], sources: [String: [UInt8]]) {
        let compiled = CompiledPolicySet(policies: units.map(\.compiled))
        // The set sorts its policies (by name, then by the day a version takes effect): follow its order.
        var unitOf: [ObjectIdentifier: Int] = [:]
        for (i, u) in units.enumerated() { unitOf[ObjectIdentifier(u.compiled)] = i }
        let order = compiled.policies.map { unitOf[ObjectIdentifier($0)] ?? 0 }
        self.compiled = compiled
        self.snapshots = order.map { units[$0].snapshot }
        self.sourceMaps = order.map { units[$0].sourceMap }
        self.informational = order.map { units[$0].informational }
        self.inherited = order.map { units[$0].inherited }
        self.declaredGaps = order.map { units[$0].declaredGaps }
        self.costs = order.map { units[$0].costs }
        self.sources = sources
    }

    public var policies: [CompiledPolicy] { compiled.policies }

    /// The policy with this name, if it answers tickets.
    public func policy(named name: String) -> CompiledPolicy? { compiled.policy(named: name) }

    public func index(named name: String) -> Int? { compiled.index(named: name) }

    /// All decision names across policies, sorted.
    public var decisionNames: [String] { compiled.decisionNames }

    /// Loads every `*.yaml` / `*.yml` file directly in `directory`, in name order.
    /// With `warnings` (what `check` prints), the warnings and the table
    /// analysis run too; the commands that only answer tickets skip them.
    public static func load(
        directory: String, warnings: Bool = true, costLimit: Int = CELCost.defaultLimit, cache: PolicyCache? = nil
    ) throws(PolicyLoadError) -> PolicySet {
        guard FileSystem.isDirectory(directory) else {
            throw PolicyLoadError(
                diagnostics: [
                    PolicyDiagnostic(.noPolicyFolder, file: directory, message: "no policy folder at `\(directory)`")
                ], sources: [:])
        }
        // `*.test.yaml` files beside the policies are test files (verdict test), not policies.
        let listing: [String]
        switch PolicyFiles.list(directory) {
        case .success(let names): listing = names
        case .failure(let reason):
            throw PolicyLoadError(
                diagnostics: [
                    PolicyDiagnostic(.unreadableFile, file: directory, message: "cannot read the folder `\(directory)`: \(reason.text)")
                ], sources: [:])
        }
        let names = listing.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !PolicySet.isTestFile($0) }
            .sorted()
        var files: [(String, [UInt8])] = []
        var unreadable: [PolicyDiagnostic] = []
        for name in names {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            switch PolicyFiles.read(path) {
            case .success(let bytes): files.append((path, bytes))
            case .failure(let reason):
                unreadable.append(
                    PolicyDiagnostic(
                        reason.tooLarge ? .yamlLimit : .unreadableFile, file: path,
                        message: "cannot read `\(path)`: \(reason.text)", help: reason.help))
            }
        }
        if !unreadable.isEmpty { throw PolicyLoadError(diagnostics: unreadable, sources: [:]) }
        if files.isEmpty {
            throw PolicyLoadError(
                diagnostics: [
                    PolicyDiagnostic(
                        .noPolicyFiles, file: directory, message: "no policy files (`*.yaml`) in `\(directory)`")
                ], sources: [:])
        }
        return try load(files: files, warnings: warnings, costLimit: costLimit, cache: cache)
    }

    /// Whether a file name is a test file's (`*.test.yaml`, `*.test.yml`).
    public static func isTestFile(_ name: String) -> Bool {
        name.hasSuffix(".test.yaml") || name.hasSuffix(".test.yml")
    }

    /// Loads policies from in-memory files (path, bytes) in named stages:
    /// read → parse and decode → resolve `extends` → compile → select.
    /// Every problem of every stage is collected before giving up. With a
    /// `cache`, a file decoded before (the same bytes at the same path) is
    /// read back from it instead of parsed.
    public static func load(
        files: [(path: String, bytes: [UInt8])], warnings: Bool = true, costLimit: Int = CELCost.defaultLimit,
        cache: PolicyCache? = nil
    ) throws(PolicyLoadError) -> PolicySet {
        // Trees still being freed when no policy got as far as compiling.
        defer { Threads.awaitReleases() }
        var log = DiagnosticLog()
        var sources: [String: [UInt8]] = [:]
        var documents: [PolicyDocument] = []
        var unreadable: [String] = []
        // A folder of a usual size is read and compiled a file and a policy
        // per core: a one-ticket `eval` spends most of its time here. A
        // large one goes one at a time, so that its peak memory is one
        // file's tree, not one per core (its stages use the cores inside).
        let total = files.reduce(0) { $0 + $1.bytes.count }
        let workers = total < 1 << 20 ? Threads.cores : 1
        let bySize = files.indices.sorted { files[$0].bytes.count > files[$1].bytes.count }
        let cache = files.count <= PolicyCache.maxFilesPerSet ? cache : nil
        let read = Threads.map(files.count, workers: workers, order: bySize) { i in
            let (path, bytes) = files[i]
            if let document = cache?.document(path: path, bytes: bytes) {
                return (PolicyFileReader.Outcome.document(document), [PolicyDiagnostic]())
            }
            let read = PolicyFileReader.read(path: path, bytes: bytes)
            // Only a file without a single problem is kept: read back, it reports nothing, as its YAML would.
            if let cache, case .document(let document) = read.0, read.1.isEmpty {
                cache.store(document, path: path, bytes: bytes)
            }
            return read
        }
        for ((path, bytes), (outcome, diagnostics)) in zip(files, read) {
            sources[path] = bytes
            switch outcome {
            case .document(let d): documents.append(d)
            case .unreadable: unreadable.append(path)
            }
            log.append(contentsOf: diagnostics)
        }
        let resolved = Resolver.resolve(documents, unreadable: unreadable, log: &log)
        // The concrete policies, then each abstract one no concrete one
        // extends: it is still compiled, so that its mistakes surface.
        let extended = Set(resolved.filter { !$0.abstract }.flatMap(\.chain))
        let compiling = resolved.filter { !$0.abstract } + resolved.filter { $0.abstract && !extended.contains($0.name) }
        let compiled = Threads.map(compiling.count, workers: workers) { i in
            let policy = compiling[i]
            var compiler = PolicyCompiler(policy: policy, costLimit: policy.abstract ? CELCost.defaultLimit : costLimit)
            let unit = compiler.compile()
            return (unit: policy.abstract ? nil : unit, diagnostics: compiler.log.diagnostics)
        }
        var units: [CompiledUnit] = []
        for c in compiled {
            if let unit = c.unit { units.append(unit) }
            log.append(contentsOf: c.diagnostics)
        }
        if resolved.allSatisfy(\.abstract), log.isEmpty, let first = files.first {
            log.append(
                PolicyDiagnostic(
                    .allAbstract, file: first.path, line: 1, column: 1,
                    message: "every policy is abstract: at least one needs `applies_to` to answer tickets"))
        }
        let set = PolicySet(units: units, sources: sources)
        // The versions of one policy are chosen by one date.
        var datedBy: [String: (input: String, unit: Int)] = [:]
        for (i, p) in set.policies.enumerated() {
            guard let d = p.dating else { continue }
            if let first = datedBy[p.name], first.input != d.input {
                let map = set.sourceMaps[i]
                if let at = map[.datedBy] ?? map[.effectiveFrom] ?? map[.policy] {
                    log.error(
                        .datedBy, at,
                        "the versions of policy `\(p.name)` are chosen by different dates: `\(first.input)` and `\(d.input)`",
                        help: "give every version the same `dated_by`")
                }
            } else if datedBy[p.name] == nil {
                datedBy[p.name] = (d.input, i)
            }
        }
        // Two policies must never answer the same ticket.
        for o in set.compiled.router.overlaps() {
            let a = set.policies[o.first].identity.description
            let b = set.policies[o.second].identity.description
            let map = set.sourceMaps[o.second]
            guard let at = map[.appliesTo] ?? map[.policy] else { continue }
            log.error(
                .overlappingPolicies, at,
                "policies `\(a)` and `\(b)` both apply to tickets with \(o.example.joined(separator: " and ")); make their `applies_to` disjoint")
        }
        if warnings, !log.diagnostics.contains(where: { $0.severity == .error }) {
            log.append(contentsOf: PolicyWarnings(set: set).all())
            for i in set.policies.indices {
                let analysis = TableAnalysis(
                    policy: set.policies[i], snapshot: set.snapshots[i], sourceMap: set.sourceMaps[i],
                    gaps: set.declaredGaps[i])
                log.append(contentsOf: analysis.diagnostics())
            }
        }
        // The same mistake in a shared base is reported once, not once per
        // market: one diagnostic per place and code (the first policy's example).
        var seen = Set<String>()
        let unique = log.diagnostics.filter { d in
            seen.insert("\(d.file):\(d.line):\(d.column):\(d.code):\(d.severity)").inserted
        }.sorted()
        guard !unique.contains(where: { $0.severity == .error }) else {
            throw PolicyLoadError(diagnostics: unique, sources: sources)
        }
        set.warnings = unique
        return set
    }
}

/// Reading a policy folder with the reason when it cannot be read: a
/// folder where a file should be, no permission, a loop of symbolic links,
/// a FIFO (which would block), a file over the size limit (not read at all).
enum PolicyFiles {
    struct Reason: Error {
        var text: String
        var tooLarge = false
        var help: String?
    }

    /// The largest policy file (VerdictYAML's document limit).
    static let maxBytes = 16 << 20

    static func list(_ directory: String) -> Result<[String], Reason> {
        guard let dir = opendir(directory) else { return .failure(Reason(text: words(errno))) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }

    static func read(_ path: String) -> Result<[UInt8], Reason> {
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else { return .failure(Reason(text: words(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Reason(text: words(errno))) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .failure(Reason(text: "it is a folder"))
        case S_IFIFO: return .failure(Reason(text: "it is a FIFO (a named pipe), not a file"))
        case S_IFSOCK: return .failure(Reason(text: "it is a socket, not a file"))
        default: return .failure(Reason(text: "it is a device, not a file"))
        }
        let size = Int(info.st_size)
        if size > maxBytes {
            return .failure(
                Reason(
                    text: "it is \(size) bytes, more than the limit of a policy file (16 MiB, docs/limits.md)",
                    tooLarge: true, help: "split the policy into a base and policies that `extends` it"))
        }
        return readAll(fd, size: size)
    }

    /// Up to `size` bytes from an open file (fewer if it ends first), or why a read failed.
    static func readAll(_ fd: Int32, size: Int) -> Result<[UInt8], Reason> {
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress.map { $0 + done }, size - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Reason(text: words(errno)))
            }
            if n == 0 { break }
            done += n
        }
        return .success(Array(bytes[0..<done]))
    }

    /// An errno in words, for "cannot read `x`: …".
    static func words(_ e: Int32) -> String {
        switch e {
        case ENOENT: return "no such file or folder"
        case EACCES, EPERM: return "no permission to read it"
        case ELOOP: return "a loop of symbolic links"
        case EISDIR: return "it is a folder"
        case ENOTDIR: return "a part of its path is not a folder"
        default: return String(cString: strerror(e)).lowercased()
        }
    }
}
