import CVerdictSupport
import VerdictDecode
import VerdictModel
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Decoded policy files kept on disk between runs, so that a command that
/// starts, answers a few tickets and ends (a one-ticket `eval` spent over a
/// third of its instructions parsing and decoding YAML) reads a file's
/// decoded form instead of parsing it again.
///
/// An entry is found by the SHA-256 of the file's exact bytes, its path (the
/// positions it holds name it), the entry layout's version and this
/// executable's build ID: any change to the file, or another build of
/// `verdict`, misses, and the file is read from its YAML. Only files that
/// decoded without a single problem are kept, so a file read from the cache
/// reports exactly what its YAML would (nothing). An entry is checked
/// (layout, key, length, checksum) before it is used; anything wrong with it
/// is a miss, never an error. Writing is best effort: a folder that cannot
/// be made or written only means no cache.
///
/// The folder is `$VERDICT_CACHE` when set (`off` turns the cache off),
/// else `$XDG_CACHE_HOME/verdict`, else `~/.cache/verdict`. Only entries
/// that are this user's own files, writable by no one else, are read.
public struct PolicyCache: Sendable {
    public let directory: String
    private let buildID: [UInt8]

    /// Entries kept at most; writing one more removes the oldest.
    public static let maxEntries = 256
    /// Larger files are always read from their YAML: the cache is for the
    /// start-up of small policy sets, and the entry of a large file would
    /// add its size to the memory of the run that writes it.
    public static let maxFileBytes = DocumentCoding.maxFileBytes
    /// Sets of more files are always read from their YAML: the cache is for
    /// small sets, and a large one would only churn the folder's entries
    /// (and pay for writing thousands of them).
    public static let maxFilesPerSet = 64

    /// A cache in `directory`; nil when this executable has no build ID to key it with.
    public init?(directory: String) {
        var id = [UInt8](repeating: 0, count: 64)
        let n = id.withUnsafeMutableBufferPointer { verdict_build_id($0.baseAddress, $0.count) }
        guard n > 0, !directory.isEmpty else { return nil }
        self.directory = directory
        self.buildID = Array(id[0..<n])
    }

    /// The cache the environment names (see the type's documentation), or nil when off.
    public static func standard(environment: (String) -> String? = PolicyCache.environment) -> PolicyCache? {
        func env(_ name: String) -> String? {
            guard let s = environment(name), !s.isEmpty else { return nil }
            return s
        }
        if let chosen = env("VERDICT_CACHE") {
            return chosen == "off" ? nil : PolicyCache(directory: chosen)
        }
        if let xdg = env("XDG_CACHE_HOME"), xdg.hasPrefix("/") { return PolicyCache(directory: xdg + "/verdict") }
        if let home = env("HOME") { return PolicyCache(directory: home + "/.cache/verdict") }
        return nil
    }

    public static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    static let magic: [UInt8] = Array("VRDC".utf8)

    func key(path: String, bytes: [UInt8]) -> [UInt8] {
        var message: [UInt8] = []
        message.reserveCapacity(bytes.count + path.utf8.count + buildID.count + 16)
        message += Self.magic
        appendLE(UInt64(DocumentCoding.formatVersion), to: &message)
        appendLE(UInt64(buildID.count), to: &message)
        message += buildID
        appendLE(UInt64(path.utf8.count), to: &message)
        message += path.utf8
        message += bytes
        return SHA256.hash(message)
    }

    /// Where the entry of these bytes at this path is kept.
    func entryPath(path: String, bytes: [UInt8]) -> String { file(key(path: path, bytes: bytes)) }

    private func file(_ key: [UInt8]) -> String {
        directory + "/" + key.map { hexDigits[Int($0 >> 4)] + hexDigits[Int($0 & 15)] }.joined() + ".vdoc"
    }

    /// The decoded form of the file with these bytes at this path, if kept.
    public func document(path: String, bytes: [UInt8]) -> PolicyDocument? {
        guard bytes.count < Self.maxFileBytes else { return nil }
        let key = key(path: path, bytes: bytes)
        guard let entry = Self.readOwnEntry(file(key)) else { return nil }
        return entry.withUnsafeBytes { raw -> PolicyDocument? in
            // magic, layout version (4), key (32), payload length (8), payload, checksum (8)
            let header = Self.magic.count + 4 + 32 + 8
            guard raw.count >= header + 8, raw.prefix(4).elementsEqual(Self.magic),
                readLE(raw, at: 4, width: 4) == UInt64(DocumentCoding.formatVersion),
                raw[8..<40].elementsEqual(key),
                readLE(raw, at: 40, width: 8) == UInt64(raw.count - header - 8)
            else { return nil }
            let payload = UnsafeRawBufferPointer(rebasing: raw[header..<(raw.count - 8)])
            guard readLE(raw, at: raw.count - 8, width: 8) == Self.checksum(payload) else { return nil }
            return DocumentCoding.decode(payload)
        }
    }

    /// An entry's bytes when it is a regular file of this user's (an entry
    /// someone else could write is not trusted), nil otherwise.
    static func readOwnEntry(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid(),
            info.st_mode & 0o022 == 0, info.st_size <= Int(PolicyFiles.maxBytes) * 4
        else { return nil }
        let size = Int(info.st_size)
        guard case .success(let bytes) = PolicyFiles.readAll(fd, size: size), bytes.count == size else { return nil }
        return bytes
    }

    /// Keeps the decoded form of a file (best effort: failures are ignored).
    public func store(_ document: PolicyDocument, path: String, bytes: [UInt8]) {
        guard bytes.count < Self.maxFileBytes, let payload = DocumentCoding.encode(document), makeDirectory() else { return }
        let key = key(path: path, bytes: bytes)
        var entry = Self.magic
        appendLE(UInt64(DocumentCoding.formatVersion), width: 4, to: &entry)
        entry += key
        appendLE(UInt64(payload.count), to: &entry)
        entry += payload
        payload.withUnsafeBytes { appendLE(Self.checksum($0), to: &entry) }
        prune()
        // Written whole under a name of its own, then renamed into place: a
        // reader sees the old entry, none, or the whole new one.
        // The name is unique (mkstemp), not just per process: the threads of
        // one process may store the same file at once.
        let final = file(key)
        var template = Array((final + ".XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { $0.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else { return }
        // Not inherited by programs started meanwhile (as `open` with
        // O_CLOEXEC); mkstemp's 0600 widened to what any other file gets.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        fchmod(fd, 0o644)
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var done = 0
        let written = entry.withUnsafeBytes { raw -> Bool in
            while done < raw.count {
                let n = write(fd, raw.baseAddress.map { $0 + done }, raw.count - done)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }
        close(fd)
        if !written || rename(temporary, final) != 0 { unlink(temporary) }
    }

    private func makeDirectory() -> Bool {
        if FileSystem.isDirectory(directory) { return true }
        // The parents too (`~/.cache` may not exist yet).
        var path = directory.hasPrefix("/") ? "" : "."
        for part in directory.split(separator: "/") {
            path += "/" + part
            if !FileSystem.isDirectory(path), mkdir(path, 0o755) != 0, errno != EEXIST { return false }
        }
        return FileSystem.isDirectory(directory)
    }

    /// Removes the oldest entries when there are `maxEntries` or more (every
    /// edit of a policy adds one; nothing else ever removes them).
    private func prune() {
        guard case .success(let names) = PolicyFiles.list(directory) else { return }
        let entries = names.filter { $0.hasSuffix(".vdoc") }
        guard entries.count >= Self.maxEntries else { return }
        var dated: [(time: Int, name: String)] = []
        for name in entries {
            var s = stat()
            guard stat(directory + "/" + name, &s) == 0 else { continue }
            #if canImport(Darwin)
                dated.append((Int(s.st_mtimespec.tv_sec), name))
            #else
                dated.append((Int(s.st_mtim.tv_sec), name))
            #endif
        }
        dated.sort { $0.time != $1.time ? $0.time < $1.time : $0.name < $1.name }
        for old in dated.prefix(dated.count - Self.maxEntries / 2) { unlink(directory + "/" + old.name) }
    }

    /// FNV-1a over the payload: catches a truncated or damaged entry.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

private let hexDigits = (0..<16).map { String($0, radix: 16) }

private func appendLE(_ v: UInt64, width: Int = 8, to bytes: inout [UInt8]) {
    for k in 0..<width { bytes.append(UInt8(truncatingIfNeeded: v >> (UInt64(k) * 8))) }
}

private func readLE(_ raw: UnsafeRawBufferPointer, at: Int, width: Int) -> UInt64 {
    var v: UInt64 = 0
    for k in 0..<width { v |= UInt64(raw[at + k]) << (UInt64(k) * 8) }
    return v
}
