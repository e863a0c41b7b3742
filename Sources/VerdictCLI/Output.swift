import ArgumentParser

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Raw standard streams: no buffering layer of our own between the answers and the pipe.
enum Output {
    /// What eval asks its input and output pipes to hold (`verdict_grow_pipe`).
    static let pipeBytes: Int32 = 1 << 20

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
                    writeError = e
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

    /// Writes to standard output, or ends the command as the ticket contract
    /// says: a reader that went away (a closed pipe) quietly, anything else
    /// with a message naming the stream and the reason.
    static func out(_ s: String) throws(ExitCode) {
        guard write(fd: 1, Array(s.utf8)) else { throw outputFailed() }
    }

    /// The exit for a failed write to standard output (`writeError`): 1 and
    /// nothing said for a closed pipe, as filters end under `| head`; else 3
    /// with the reason on stderr.
    static func outputFailed() -> ExitCode {
        if writeError == EPIPE { return ExitStatus.failure.code }
        stderr("error: cannot write standard output: \(describe(errno: writeError))\n")
        return ExitStatus.io.code
    }

    /// The exit for a failed read of standard input (`readError`): 3, with the reason.
    static func inputFailed() -> ExitCode {
        stderr("error: cannot read standard input: \(describe(errno: readError))\n")
        return ExitStatus.io.code
    }

    /// The last failed write, for the error message.
    nonisolated(unsafe) static var writeError: Int32 = 0

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

    /// The most a whole-file input (`expr --input`, a test file) may hold:
    /// as much as one ticket line of `eval` (LineFramer's limit).
    static let maxInputBytes = 64 << 20

    /// Why a whole file could not be read, in words, and how the command exits.
    struct ReadFailure: Error {
        var message: String
        /// Reading failed part-way (3), rather than the file being wrong (2).
        var io: Bool
    }

    /// Reads a whole file, or standard input for "-", up to `limit` bytes.
    static func readAll(path: String, limit: Int = maxInputBytes) -> Result<[UInt8], ReadFailure> {
        let name = path == "-" ? "standard input" : "`\(path)`"
        let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            return .failure(ReadFailure(message: "cannot read \(name): \(describe(errno: errno))", io: false))
        }
        defer { if fd != 0 { close(fd) } }
        var info = stat()
        if fd != 0, fstat(fd, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: return .failure(ReadFailure(message: "cannot read \(name): it is a folder", io: false))
            case S_IFREG:
                if Int(info.st_size) > limit {
                    return .failure(ReadFailure(message: tooLarge(name, limit), io: false))
                }
            default: break  // a FIFO or a device: read it as a stream, within the limit
            }
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { raw in read(fd: fd, raw) }
            if n < 0 {
                return .failure(ReadFailure(message: "cannot read \(name): \(describe(errno: readError))", io: true))
            }
            if n == 0 { return .success(out) }
            if out.count + n > limit { return .failure(ReadFailure(message: tooLarge(name, limit), io: false)) }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    static func tooLarge(_ name: String, _ limit: Int) -> String {
        "\(name) is larger than \(limit >> 20) MiB, the limit of one ticket (docs/limits.md): give a smaller ticket"
    }
}

#if canImport(Glibc)
    private let Glibc_write = Glibc.write
    private let Glibc_read = Glibc.read
#else
    private let Glibc_write = Darwin.write
    private let Glibc_read = Darwin.read
#endif
