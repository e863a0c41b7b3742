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
                    let e = errno
                    if e == EINTR { continue }
                    if e == EAGAIN || e == EWOULDBLOCK {
                        // A non-blocking pipe that is full: wait until it drains.
                        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&p, 1, -1)
                        continue
                    }
                    return false
                }
                left -= n
                p = p.advanced(by: n)
            }
            return true
        }
    }

    /// Writes to standard output; false when it cannot (the caller exits non-zero).
    @discardableResult
    static func stdout(_ s: String) -> Bool { write(fd: 1, Array(s.utf8)) }

    /// Ends the process now, with everything already written (output is not
    /// buffered): skips freeing what the run built, which for a large policy
    /// set takes measurable time.
    static func exitNow(_ code: Int32) -> Never { exit(code) }
    static func stderr(_ s: String) { _ = write(fd: 2, Array(s.utf8)) }

    /// The last failed read of standard input, for the error message.
    nonisolated(unsafe) static var readError: Int32 = 0

    /// Reads from standard input into the buffer. Retries on EINTR; on a
    /// non-blocking descriptor, waits for input instead of taking EAGAIN for
    /// the end. Returns -1 on a real error (kept in `readError`).
    static func readStdin(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        read(fd: 0, buffer)
    }

    /// Reads from a file descriptor as `readStdin` does.
    static func read(fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        while true {
            let n = Glibc_read(fd, base, buffer.count)
            if n >= 0 { return n }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&p, 1, -1)
                continue
            }
            readError = e
            return -1
        }
    }

    static func describe(errno e: Int32) -> String {
        guard let s = strerror(e) else { return "error \(e)" }
        return String(cString: s)
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
