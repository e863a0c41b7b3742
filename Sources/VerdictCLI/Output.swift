#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Raw standard streams: no buffering layer of our own between the answers and the pipe.
enum Output {
    /// Writes all bytes to a file descriptor; false when it cannot (e.g. a closed pipe).
    static func write(fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            guard var p = raw.baseAddress else { return true }
            var left = raw.count
            while left > 0 {
                let n = Glibc_write(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                left -= n
                p = p.advanced(by: n)
            }
            return true
        }
    }

    static func stdout(_ s: String) { _ = write(fd: 1, Array(s.utf8)) }
    static func stderr(_ s: String) { _ = write(fd: 2, Array(s.utf8)) }

    /// Reads from standard input into the buffer; retries on EINTR.
    static func readStdin(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        while true {
            let n = Glibc_read(0, base, buffer.count)
            if n < 0, errno == EINTR { continue }
            return n
        }
    }

    /// Reads a whole file, or standard input for "-".
    static func readAll(path: String) -> [UInt8]? {
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { if fd != 0 { close(fd) } }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc_read(fd, base, raw.count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }
}

#if canImport(Glibc)
    private let Glibc_write = Glibc.write
    private let Glibc_read = Glibc.read
#else
    private let Glibc_write = Darwin.write
    private let Glibc_read = Darwin.read
#endif
