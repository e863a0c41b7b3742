#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One line of input as the framer hands it on.
public struct FramedLine: Sendable, Hashable {
    /// 1-based, counting every line of the input (blank ones too).
    public var number: Int
    /// The line's bytes in the framer's buffer, without BOM or line end.
    public var start: Int
    public var end: Int
    /// Longer than the limit: its bytes were not kept.
    public var tooLong: Bool

    public init(number: Int, start: Int, end: Int, tooLong: Bool) {
        self.number = number
        self.start = start
        self.end = end
        self.tooLong = tooLong
    }
}

/// Splits a byte stream into JSON Lines and nothing more: a byte order mark
/// at the start and CRLF line ends are accepted, blank lines are skipped (but
/// counted), a line longer than `maxLineBytes` is not buffered (it comes out
/// as `tooLong`). Each `next` reads once and hands over every line completed
/// so far as one batch, so a tool that sends one ticket at a time gets each
/// answer at once while batch input is not processed line by line.
public struct LineFramer {
    public let maxLineBytes: Int
    public let chunkBytes: Int
    /// The lines of the last `next`; their bytes stay valid until the next call.
    public private(set) var batch: [FramedLine] = []
    /// False when reading the input failed (not its normal end): lines may be lost.
    public private(set) var inputOK = true

    private var buffer: [UInt8] = []
    private var chunk: [UInt8]
    /// Bytes at the front of `buffer` already handed over, dropped on the next read.
    private var consumed = 0
    private var lineNumber = 0
    private var atStart = true
    /// Inside a line longer than the limit.
    private var skipping = false
    private var eof = false
    /// Bytes of `buffer` already searched for a line end.
    private var scanned = 0
    /// Line ends found by the last search (reused).
    private var lineEnds: [Int] = []

    public init(maxLineBytes: Int = 64 << 20, chunkBytes: Int = 256 << 10) {
        self.maxLineBytes = maxLineBytes
        self.chunkBytes = chunkBytes
        // Not zeroed: only the bytes a read returns are ever looked at, and
        // zeroing half a megabyte cost a one-ticket run 2.5 million
        // instructions and the memory of every page.
        self.chunk = [UInt8](unsafeUninitializedCapacity: max(0, chunkBytes)) { _, count in count = max(0, chunkBytes) }
        buffer.reserveCapacity(chunkBytes * 2)
    }

    /// The bytes of a line of the current batch.
    public func withBytes<R>(of line: FramedLine, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        buffer.withUnsafeBytes { raw in body(UnsafeRawBufferPointer(rebasing: raw[line.start..<line.end])) }
    }

    /// Reads once (`read` fills the buffer and returns the byte count: 0 at
    /// the end, < 0 on error) and frames every line completed by it into
    /// `batch`. Returns false once the input has ended (the last batch is set).
    public mutating func next(read: (UnsafeMutableRawBufferPointer) -> Int) -> Bool {
        batch.removeAll(keepingCapacity: true)
        if consumed > 0 {
            buffer.removeFirst(consumed)
            consumed = 0
        }
        // After an outsized line, give its memory back rather than keep it for
        // the rest of the stream.
        if buffer.capacity > 8 * chunkBytes, buffer.count <= 2 * chunkBytes {
            var smaller: [UInt8] = []
            smaller.reserveCapacity(chunkBytes * 2)
            smaller.append(contentsOf: buffer)
            buffer = smaller
        }
        guard !eof else { return false }
        let n = chunk.withUnsafeMutableBytes { read($0) }
        if n <= 0 {
            eof = true
            if n < 0 { inputOK = false }
        } else {
            var from = 0
            if skipping {
                // Drop bytes up to the end of the over-long line.
                if let nl = chunk[0..<n].firstIndex(of: UInt8(ascii: "\n")) {
                    skipping = false
                    from = nl + 1
                    tooLong()
                } else {
                    from = n
                }
            }
            if from < n {
                chunk.withUnsafeBytes { buffer.append(raw: UnsafeRawBufferPointer(rebasing: $0[from..<n])) }
            }
        }
        // Frame every complete line now buffered. Bytes before `scanned` were
        // searched already (a long line arrives over many reads).
        var lineStart = 0
        let count = buffer.count
        var ends: [Int] = []
        swap(&ends, &lineEnds)
        ends.removeAll(keepingCapacity: true)
        buffer.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return }
            var i = scanned
            while i < count, let p = memchr(base + i, 0x0A, count - i) {
                let at = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
                ends.append(at)
                i = at + 1
            }
        }
        for at in ends {
            frame(lineStart, at)
            lineStart = at + 1
        }
        swap(&ends, &lineEnds)
        if eof, lineStart < count {
            frame(lineStart, count)
            lineStart = count
        }
        consumed = lineStart
        scanned = buffer.count - lineStart
        // An unfinished line this long is too long whatever its end
        // (a BOM and a CR add at most 4 bytes): stop keeping it.
        if buffer.count - lineStart > maxLineBytes + 4 {
            buffer.removeSubrange(lineStart...)
            scanned = 0
            if eof { tooLong() } else { skipping = true }
        }
        if eof, skipping {
            skipping = false
            tooLong()
        }
        return !eof
    }

    private mutating func tooLong() {
        lineNumber += 1
        atStart = false
        batch.append(FramedLine(number: lineNumber, start: 0, end: 0, tooLong: true))
    }

    private mutating func frame(_ start: Int, _ end: Int) {
        var s = start
        var e = end
        if atStart {
            atStart = false
            if e - s >= 3, buffer[s] == 0xEF, buffer[s + 1] == 0xBB, buffer[s + 2] == 0xBF { s += 3 }
        }
        if e > s, buffer[e - 1] == UInt8(ascii: "\r") { e -= 1 }
        // The limit counts the line's content, not its BOM or line end; this
        // catches a line that ended within the read that crossed the limit.
        if e - s > maxLineBytes {
            tooLong()
            return
        }
        lineNumber += 1
        var i = s
        while i < e {
            let b = buffer[i]
            if b != 0x20, b != 0x09, b != 0x0D {
                batch.append(FramedLine(number: lineNumber, start: s, end: e, tooLong: false))
                return
            }
            i += 1
        }
        // A blank line: counted, not handed on.
    }
}
