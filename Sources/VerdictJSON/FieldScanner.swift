#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The fast path of ticket reading: one pass over a line that validates it
/// as strictly as `JSONReader` and records where the fields a schema names
/// are (byte spans), without building a value for anything.
///
/// It accepts a subset of what `JSONReader` accepts and never more: any line
/// it is unsure of (invalid JSON, a non-object, keys with escapes, objects
/// with many keys, deep nesting) is declined, and the caller reads it with
/// `JSONReader`, which gives the errors their exact messages. So a line
/// either scans and `JSONReader` would accept it with the same fields, or
/// the slow path decides: the two paths cannot give different answers.
public struct FieldScanner {
    /// The paths to capture, as a tree of object levels. Node 0 is the root object.
    // @unchecked: the buffers are written once in `init` and only read after.
    public final class Schema: @unchecked Sendable {
        struct Node: Sendable {
            var key: [UInt8]
            /// The level of the children when the path continues (an object input).
            var level: Int?
        }
        /// Per level, the nodes (capture ids) whose keys it holds.
        let levels: [[Int]]
        let nodes: [Node]
        /// Capture id by dotted path.
        public let ids: [String: Int]
        /// The same, flat for the scan: per level a range of `entries`, each a
        /// key's first eight bytes (as `prefixWord` reads them), capture id
        /// and bytes in `keyBytes`; and for matching a key with the quote
        /// that ends it in one load: its first eight bytes of `"key"` after
        /// the opening quote (the key, then the closing quote when it fits)
        /// and the mask of those that count.
        let levelRanges: UnsafeMutableBufferPointer<Range<Int>>
        let entries: UnsafeMutableBufferPointer<Entry>
        struct Entry {
            var prefix: UInt64
            var id: Int
            var offset: Int
            var length: Int
            var quoted: UInt64
            var mask: UInt64
        }
        let keyBytes: UnsafeMutableRawBufferPointer
        /// The child level of each capture id, -1 for a leaf.
        let childLevel: [Int]

        /// Paths as lists of keys (`["unit", "installed_on"]`); prefixes are added.
        public init(paths: [[String]]) {
            var nodes: [Node] = []
            var levels: [[Int]] = [[]]
            var ids: [String: Int] = [:]
            for path in paths where !path.isEmpty {
                var level = 0
                for depth in path.indices {
                    let key = path[depth]
                    let dotted = path[...depth].joined(separator: ".")
                    let id: Int
                    if let existing = ids[dotted] {
                        id = existing
                    } else {
                        id = nodes.count
                        nodes.append(Node(key: Array(key.utf8), level: nil))
                        levels[level].append(id)
                        ids[dotted] = id
                    }
                    if depth < path.count - 1 {
                        if nodes[id].level == nil {
                            nodes[id].level = levels.count
                            levels.append([])
                        }
                        level = nodes[id].level ?? 0
                    }
                }
            }
            self.nodes = nodes
            self.levels = levels
            self.ids = ids
            var ranges: [Range<Int>] = []
            var entries: [Entry] = []
            var keyBytes: [UInt8] = []
            for level in levels {
                let start = entries.count
                for id in level {
                    let key = nodes[id].key
                    let quotedKey = key + [UInt8(ascii: "\"")]
                    entries.append(
                        Entry(
                            prefix: key.withUnsafeBytes { FieldScanner.prefixWord($0, 0, key.count) }, id: id,
                            offset: keyBytes.count, length: key.count,
                            quoted: quotedKey.withUnsafeBytes { FieldScanner.prefixWord($0, 0, quotedKey.count) },
                            mask: quotedKey.count >= 8 ? ~0 : (1 << UInt64(quotedKey.count * 8)) &- 1))
                    keyBytes += nodes[id].key
                }
                ranges.append(start..<entries.count)
            }
            // Kept in memory of its own, so the scan reads them through plain
            // pointers (no array retained, no closure) on every key.
            self.levelRanges = .allocate(capacity: ranges.count)
            _ = self.levelRanges.initialize(from: ranges)
            self.entries = .allocate(capacity: max(1, entries.count))
            _ = self.entries.initialize(from: entries)
            self.keyBytes = .allocate(byteCount: max(1, keyBytes.count), alignment: 1)
            self.keyBytes.copyBytes(from: keyBytes)
            self.childLevel = nodes.map { $0.level ?? -1 }
        }

        deinit {
            levelRanges.deallocate()
            entries.deallocate()
            keyBytes.deallocate()
        }

        public var count: Int { nodes.count }
    }

    /// What a captured value is.
    public enum Kind: UInt8, Sendable {
        case string, number, bool, null, object, array
    }

    /// One captured value: its bytes in the line, what it is, and for
    /// strings and numbers what the fast converters need to know.
    public struct Capture: Sendable {
        public var start = 0
        public var end = 0
        public var kind = Kind.null
        /// For `true`/`false`.
        public var bool = false
        /// A string with a backslash escape (its bytes are not its text).
        public var escaped = false
        /// A number without fraction or exponent.
        public var integer = false
        /// The line it belongs to (a capture from an earlier line is stale).
        @usableFromInline var stamp: UInt32 = 0
    }

    public let schema: Schema
    /// Fixed buffers the scan writes through plain pointers (no array
    /// uniqueness checks on the hot path); freed with the scanner.
    @usableFromInline final class Storage {
        @usableFromInline let captures: UnsafeMutableBufferPointer<Capture>
        let frames: UnsafeMutableBufferPointer<(isObject: Bool, level: Int, firstKey: Int, capture: Int)>
        let keys: UnsafeMutableBufferPointer<(start: Int, end: Int)>
        /// Per open container, the schema entry its last key matched (-1: none yet).
        let lastEntry: UnsafeMutableBufferPointer<Int>
        /// The key expected next: per schema entry, the entry that followed it
        /// in its object last time, and per level (after the entries) the
        /// entry an object of that level began with (-1: none). Lines of one
        /// producer list their fields in one order, so the first guess is
        /// usually right and the level's entries are not searched. Only the
        /// speed depends on it, never what is read.
        let next: UnsafeMutableBufferPointer<Int>

        init(captures: Int, depth: Int, keys: Int, predictions: Int) {
            self.captures = .allocate(capacity: max(1, captures))
            self.captures.initialize(repeating: Capture())
            self.frames = .allocate(capacity: max(1, depth))
            self.frames.initialize(repeating: (false, -1, 0, -1))
            self.keys = .allocate(capacity: max(1, keys))
            self.keys.initialize(repeating: (0, 0))
            self.lastEntry = .allocate(capacity: max(1, depth))
            self.lastEntry.initialize(repeating: -1)
            self.next = .allocate(capacity: max(1, predictions))
            self.next.initialize(repeating: -1)
        }

        deinit {
            captures.deallocate()
            frames.deallocate()
            keys.deallocate()
            lastEntry.deallocate()
            next.deallocate()
        }
    }

    @usableFromInline let storage: Storage
    private var frameCount = 0
    private var keyCount = 0
    @usableFromInline private(set) var stamp: UInt32 = 0

    public let maxDepth: Int
    /// Objects with more keys that the schema does not name are left to the
    /// slow path (its duplicate check is hashed).
    public static let maxKeysPerObject = 32

    // Per open container (`storage.frames`): object or array, its schema level
    // (-1: fields not captured), where its keys start in `storage.keys`, and
    // its own capture (-1: none). Key spans of the open objects
    // (`storage.keys`) serve the duplicate check.

    public init(schema: Schema, maxDepth: Int = 64) {
        self.schema = schema
        self.maxDepth = maxDepth
        self.storage = Storage(
            captures: schema.count, depth: maxDepth, keys: maxDepth * Self.maxKeysPerObject,
            predictions: schema.entries.count + schema.levelRanges.count)
    }

    /// The capture of a path for the last line scanned, if present.
    @inlinable @inline(__always)
    public func capture(_ id: Int) -> Capture? {
        let c = storage.captures[id]
        return c.stamp == stamp ? c : nil
    }

    /// The captures of the last line scanned, as plain memory: what a reader
    /// keeps while it converts fields on demand (no reference counted; valid
    /// while this scanner lives and scans no other line).
    public struct Captures {
        @usableFromInline let buffer: UnsafeMutableBufferPointer<Capture>
        @usableFromInline let stamp: UInt32

        @usableFromInline init(buffer: UnsafeMutableBufferPointer<Capture>, stamp: UInt32) {
            self.buffer = buffer
            self.stamp = stamp
        }

        /// The capture of a path, if present.
        @inlinable @inline(__always)
        public func capture(_ id: Int) -> Capture? {
            let c = buffer[id]
            return c.stamp == stamp ? c : nil
        }
    }

    @inlinable
    public var captures: Captures { Captures(buffer: storage.captures, stamp: stamp) }

    /// Scans a line; false when it must go to the slow path.
    public mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Bool {
        stamp &+= 1
        if stamp == 0 {
            // Stamps wrapped: clear them so no old capture looks current.
            for i in storage.captures.indices { storage.captures[i].stamp = 0 }
            stamp = 1
        }
        frameCount = 0
        keyCount = 0
        let captures = storage.captures
        let frames = storage.frames
        var i = 0
        let n = bytes.count
        Self.skipSpace(bytes, &i)
        guard i < n, bytes[i] == UInt8(ascii: "{") else { return false }
        // The capture the next value goes to (-1: none).
        var target = -1
        var topLevelDone = false
        value: while true {
            Self.skipSpace(bytes, &i)
            guard i < n else { return false }
            let b = bytes[i]
            let start = i
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard frameCount < maxDepth - 1 else { return false }
                let isObject = b == UInt8(ascii: "{")
                var level = -1
                if target >= 0 {
                    captures[target] = Capture(start: start, end: start, kind: isObject ? .object : .array, stamp: stamp)
                    if isObject { level = schema.childLevel[target] }
                } else if frameCount == 0 {
                    level = 0
                }
                i += 1
                Self.skipSpace(bytes, &i)
                guard i < n else { return false }
                if bytes[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    if target >= 0 { captures[target].end = i }
                    target = -1
                    if frameCount == 0 { topLevelDone = true }
                    break
                }
                frames[frameCount] = (isObject, level, keyCount, target)
                storage.lastEntry[frameCount] = -1
                frameCount += 1
                if isObject {
                    guard let t = readKey(bytes, &i, level: level) else { return false }
                    target = t
                } else {
                    target = -1
                }
                continue value
            case UInt8(ascii: "\""):
                var escaped = false
                guard scanString(bytes, &i, escaped: &escaped) else { return false }
                if target >= 0 {
                    captures[target] = Capture(start: start, end: i, kind: .string, escaped: escaped, stamp: stamp)
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var integer = true
                guard scanNumber(bytes, &i, integer: &integer) else { return false }
                if target >= 0 {
                    captures[target] = Capture(start: start, end: i, kind: .number, integer: integer, stamp: stamp)
                }
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                let word: StaticString = b == UInt8(ascii: "t") ? "true" : (b == UInt8(ascii: "f") ? "false" : "null")
                let len = word.utf8CodeUnitCount
                guard i + len <= n else { return false }
                for k in 0..<len where bytes[i + k] != word.utf8Start[k] { return false }
                i += len
                if target >= 0 {
                    captures[target] = Capture(
                        start: start, end: i, kind: b == UInt8(ascii: "n") ? .null : .bool, bool: b == UInt8(ascii: "t"),
                        stamp: stamp)
                }
            default:
                return false
            }
            target = -1
            // Close the containers the input closes, then go on with the next member.
            while frameCount > 0 {
                let frame = frames[frameCount - 1]
                Self.skipSpace(bytes, &i)
                guard i < n else { return false }
                let c = bytes[i]
                if c == UInt8(ascii: ",") {
                    i += 1
                    if frame.isObject {
                        guard let t = readKey(bytes, &i, level: frame.level) else { return false }
                        target = t
                    }
                    continue value
                }
                guard c == (frame.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return false }
                i += 1
                keyCount = frame.firstKey
                frameCount -= 1
                // The container just closed may itself be a captured value.
                if frame.capture >= 0 { captures[frame.capture].end = i }
                if frameCount == 0 { topLevelDone = true }
            }
            if topLevelDone { break }
        }
        Self.skipSpace(bytes, &i)
        return i == n
    }

    /// Reads `"key" :` of the innermost object: checks it is new there and
    /// returns the capture id its value goes to (-1 when none), or nil to decline.
    /// Keys with escapes are declined (their bytes are not their text).
    ///
    /// A key the schema names is new when its capture has no value from this
    /// line yet (each schema level is one object of the line: its value is
    /// captured before the next key is read). Other keys can only equal each
    /// other: they are compared with the earlier ones of their object, at
    /// most `maxKeysPerObject` of them.
    private mutating func readKey(_ bytes: UnsafeRawBufferPointer, _ i: inout Int, level: Int) -> Int? {
        let n = bytes.count
        Self.skipSpace(bytes, &i)
        guard i < n, bytes[i] == UInt8(ascii: "\""), let base = bytes.baseAddress else { return nil }
        i += 1
        let start = i
        // A key the schema names, with the quote that ends it, in one load
        // (longer keys: the rest compared after): no byte-by-byte search for its end.
        if level >= 0, start + 8 <= n, let kb = schema.keyBytes.baseAddress {
            let w = UInt64(littleEndian: (base + start).loadUnaligned(as: UInt64.self))
            let entries = schema.entries
            // Whether entry k is the key at `start`, its closing quote included.
            @inline(__always) func matches(_ k: Int) -> Bool {
                guard w & entries[k].mask == entries[k].quoted else { return false }
                let length = entries[k].length
                return length < 8
                    || (start + length < n && bytes[start + length] == UInt8(ascii: "\"")
                        && Self.same(base + start + 8, kb + entries[k].offset + 8, length - 8))
            }
            let frame = frameCount - 1
            let last = frame >= 0 ? storage.lastEntry[frame] : -1
            let predictor = last >= 0 ? last : entries.count + level
            var found = storage.next[predictor]
            if found < 0 || !matches(found) {
                found = -1
                for k in schema.levelRanges[level] where matches(k) {
                    found = k
                    storage.next[predictor] = k
                    break
                }
            }
            if found >= 0 {
                if frame >= 0 { storage.lastEntry[frame] = found }
                i = start + entries[found].length + 1
                Self.skipSpace(bytes, &i)
                guard i < n, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                let id = entries[found].id
                return storage.captures[id].stamp == stamp ? nil : id
            }
        }
        while i < n {
            PlainBytes.skip(bytes, &i, stopAtNonASCII: true)
            guard i < n else { break }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { break }
            if b == UInt8(ascii: "\\") || b < 0x20 { return nil }
            if b < 0x80 {
                i += 1
            } else {
                guard skipMultibyte(bytes, &i) else { return nil }
            }
        }
        guard i < n else { return nil }
        let end = i
        i += 1
        Self.skipSpace(bytes, &i)
        guard i < n, bytes[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        let length = end - start
        if level >= 0, let kb = schema.keyBytes.baseAddress {
            let prefix = Self.prefixWord(bytes, start, length)
            let entries = schema.entries
            for k in schema.levelRanges[level] where entries[k].prefix == prefix && entries[k].length == length {
                guard length <= 8 || Self.same(base + start + 8, kb + entries[k].offset + 8, length - 8) else { continue }
                let id = entries[k].id
                return storage.captures[id].stamp == stamp ? nil : id
            }
        }
        let keys = storage.keys
        let first = frameCount > 0 ? storage.frames[frameCount - 1].firstKey : 0
        guard keyCount - first < Self.maxKeysPerObject else { return nil }
        // Duplicates: only keys of the same length can be equal.
        for k in first..<keyCount where keys[k].end - keys[k].start == length {
            if Self.same(base + start, base + keys[k].start, length) { return nil }
        }
        keys[keyCount] = (start, end)
        keyCount += 1
        return -1
    }

    /// The first `min(length, 8)` bytes from `start`, little-endian, zero above.
    @inline(__always)
    static func prefixWord(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ length: Int) -> UInt64 {
        guard let base = bytes.baseAddress else { return 0 }
        let count = min(length, 8)
        if start + 8 <= bytes.count {
            let w = UInt64(littleEndian: (base + start).loadUnaligned(as: UInt64.self))
            return count == 8 ? w : w & ((1 << UInt64(count * 8)) &- 1)
        }
        var w: UInt64 = 0
        for k in 0..<count { w |= UInt64(bytes[start + k]) << UInt64(k * 8) }
        return w
    }

    /// Skips JSON whitespace (not a closure over `i`: that would box it and
    /// check exclusive access at run time on every call).
    @inline(__always)
    static func skipSpace(_ bytes: UnsafeRawBufferPointer, _ i: inout Int) {
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { i += 1 } else { return }
        }
    }

    /// Whether two keys' bytes are equal: eight at a time, inline (keys are
    /// short; a call to `memcmp` cost more than the comparing).
    @inlinable @inline(__always)
    public static func same(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ length: Int) -> Bool {
        var k = 0
        while k + 8 <= length {
            if a.loadUnaligned(fromByteOffset: k, as: UInt64.self) != b.loadUnaligned(fromByteOffset: k, as: UInt64.self) {
                return false
            }
            k += 8
        }
        while k < length {
            if a.load(fromByteOffset: k, as: UInt8.self) != b.load(fromByteOffset: k, as: UInt8.self) { return false }
            k += 1
        }
        return true
    }

    /// A string from its opening quote: strict UTF-8, valid escapes, no raw
    /// control characters (as `JSONReader`). Leaves `i` after the closing quote.
    private func scanString(_ bytes: UnsafeRawBufferPointer, _ i: inout Int, escaped: inout Bool) -> Bool {
        let n = bytes.count
        i += 1
        while i < n {
            PlainBytes.skip(bytes, &i, stopAtNonASCII: true)
            guard i < n else { return false }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                return true
            }
            if b == UInt8(ascii: "\\") {
                escaped = true
                guard i + 1 < n else { return false }
                switch bytes[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    // Surrogates need care (pairs, lone ones): the slow path checks them.
                    guard let v = hex4(bytes, i + 2), !(0xD800...0xDFFF).contains(v) else { return false }
                    i += 6
                default:
                    return false
                }
                continue
            }
            if b < 0x20 { return false }
            if b < 0x80 {
                i += 1
                continue
            }
            guard skipMultibyte(bytes, &i) else { return false }
        }
        return false
    }

    private func hex4(_ bytes: UnsafeRawBufferPointer, _ p: Int) -> UInt32? {
        guard p + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let b = bytes[p + k]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    /// Moves `i` over a run of multi-byte characters (text in Chinese, say),
    /// validating each as `utf8Length` does; false at an invalid one. A
    /// three-byte character whose lead byte needs no range check of the next
    /// (E1–EC, EE–EF: most of CJK) is checked in one load of four bytes.
    @inline(__always)
    private func skipMultibyte(_ bytes: UnsafeRawBufferPointer, _ i: inout Int) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        let n = bytes.count
        while i < n, bytes[i] >= 0x80 {
            if i + 4 <= n {
                let w = UInt32(littleEndian: (base + i).loadUnaligned(as: UInt32.self))
                let lead = w & 0xFF
                if w & 0x00C0_C0F0 == 0x0080_80E0, lead != 0xE0, lead != 0xED {
                    i += 3
                    continue
                }
            }
            guard let len = utf8Length(bytes, i) else { return false }
            i += len
        }
        return true
    }

    /// Strict UTF-8 (as `JSONReader`): no overlongs, surrogates, values above U+10FFFF or truncation.
    @inline(__always)
    private func utf8Length(_ bytes: UnsafeRawBufferPointer, _ p: Int) -> Int? {
        let n = bytes.count
        @inline(__always) func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            p + k < n && bytes[p + k] >= lo && bytes[p + k] <= hi
        }
        switch bytes[p] {
        case 0xC2...0xDF: return cont(1) ? 2 : nil
        case 0xE0: return cont(1, 0xA0, 0xBF) && cont(2) ? 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : nil
        case 0xED: return cont(1, 0x80, 0x9F) && cont(2) ? 3 : nil
        case 0xF0: return cont(1, 0x90, 0xBF) && cont(2) && cont(3) ? 4 : nil
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : nil
        case 0xF4: return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : nil
        default: return nil
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as `JSONReader`.
    private func scanNumber(_ bytes: UnsafeRawBufferPointer, _ i: inout Int, integer: inout Bool) -> Bool {
        let n = bytes.count
        @inline(__always) func digit(_ p: Int) -> Bool { p < n && bytes[p] >= 0x30 && bytes[p] <= 0x39 }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard digit(i) else { return false }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if digit(i) { return false }
        } else {
            while digit(i) { i += 1 }
        }
        if i < n, bytes[i] == UInt8(ascii: ".") {
            integer = false
            i += 1
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        if i < n, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            integer = false
            i += 1
            if i < n, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        return true
    }
}
