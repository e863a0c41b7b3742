/// Word-at-a-time search for the bytes of a JSON string that need a look,
/// shared by the ticket scanner and the JSON writer.
public enum PlainBytes {
    /// Moves `i` over the bytes of `buffer` (from `i`) that a JSON string
    /// holds as they are: printable ASCII but `"` and `\`, and, unless
    /// `stopAtNonASCII`, bytes of 0x80 and above. Eight at a time, to the
    /// first byte that is not, or to within eight bytes of the end, where the
    /// caller's byte loop goes on. A byte is flagged by the borrow of a
    /// subtraction that no byte before it can cause, so the lowest flag is
    /// exact.
    @inlinable @inline(__always)
    public static func skip(_ buffer: UnsafeRawBufferPointer, _ i: inout Int, stopAtNonASCII: Bool) {
        guard let base = buffer.baseAddress else { return }
        let n = buffer.count
        let ones: UInt64 = 0x0101_0101_0101_0101
        while i + 8 <= n {
            let w = UInt64(littleEndian: (base + i).loadUnaligned(as: UInt64.self))
            let quote = w ^ (ones &* 0x22)
            let backslash = w ^ (ones &* 0x5C)
            // Below 0x20: the subtraction borrows into the byte's high bit
            // (bytes of 0x80 and above are masked out by `~w`, or flagged whole).
            let control = (w &- ones &* 0x20) & (stopAtNonASCII ? ~0 : ~w)
            let flags =
                ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | control | (stopAtNonASCII ? w : 0))
                & (ones &* 0x80)
            if flags != 0 {
                i += flags.trailingZeroBitCount >> 3
                return
            }
            i += 8
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends raw bytes through a typed view of them: `append(contentsOf:)`
    /// given the `UnsafeRawBufferPointer` itself loads it a byte at a time
    /// (an explained run's output buffers took 0.9 % more instructions so).
    @inlinable
    public mutating func append(raw bytes: UnsafeRawBufferPointer) {
        bytes.withMemoryRebound(to: UInt8.self) { append(contentsOf: $0) }
    }
}
