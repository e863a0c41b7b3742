import Foundation
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import UnixSignals
import VerdictCompiler

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Watches the policy folder and reloads the store when it changes: inotify
/// on Linux (woken by an edit, then `debounce` of quiet), a poll of the
/// files' names, sizes, times and inodes elsewhere (and, slowly, beside
/// inotify, for what it cannot see, such as a folder on a network file
/// system), and SIGHUP always. Reloads run one at a time, off the request
/// threads; requests keep the set they started with.
struct PolicyWatcher: Service {
    let store: PolicyStore
    let options: ServerOptions
    let logger: Logger
    /// The folder as the load in force read it.
    let loaded: Fingerprint

    func run() async throws {
        let trigger = ReloadTrigger()
        let fingerprint = NIOLockedValueBox(loaded)
        var stopInotify: (@Sendable () -> Void)?
        var pollEvery = options.pollInterval
        #if os(Linux)
            if options.watch == .auto {
                if let stop = InotifyWatch.start(
                    directory: store.directory, debounce: options.debounce, logger: logger,
                    changed: { trigger.request("edit") })
                {
                    stopInotify = stop
                    pollEvery = max(options.pollInterval, .seconds(2))
                } else {
                    logger.warning("inotify is not available: polling the policy folder instead")
                }
            }
        #endif
        defer { stopInotify?() }
        // Edited between the first load and the watch.
        if Fingerprint(directory: store.directory) != loaded { trigger.request("edit") }
        let signals = await UnixSignalsSequence(trapping: .sighup)
        let directory = store.directory
        let polls = options.watch != .off
        let interval = pollEvery
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in signals { trigger.request("SIGHUP") }
                }
                if polls {
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: interval)
                            let now = Fingerprint(directory: directory)
                            if fingerprint.withLockedValue({ $0 != now }) { trigger.request("edit (poll)") }
                        }
                    }
                }
                group.addTask {
                    for await _ in trigger.stream {
                        let reason = trigger.take()
                        // What the load is about to read; an edit during the load leaves
                        // the folder different from this, and the poll loads again.
                        fingerprint.withLockedValue { $0 = Fingerprint(directory: directory) }
                        _ = await Self.offThread { store.reload(reason: reason) }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Runs blocking work (reading and compiling the policies) on a thread
    /// of its own, not on the threads that answer requests.
    static func offThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in
            Thread.detachNewThread { c.resume(returning: work()) }
        }
    }
}

/// Coalesces reload requests: while one is pending, more only add their reason.
final class ReloadTrigger: Sendable {
    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let pending = NIOLockedValueBox<[String]>([])

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func request(_ reason: String) {
        let first = pending.withLockedValue { reasons in
            defer { if !reasons.contains(reason) { reasons.append(reason) } }
            return reasons.isEmpty
        }
        if first { continuation.yield() }
    }

    /// The reasons since the last take, joined.
    func take() -> String {
        pending.withLockedValue { reasons in
            defer { reasons.removeAll() }
            return reasons.isEmpty ? "edit" : reasons.joined(separator: ", ")
        }
    }
}

/// What the poll compares: each policy file's name, size, modification and
/// change times and inode (following symbolic links, as the load does).
struct Fingerprint: Equatable, Sendable {
    struct Entry: Equatable, Sendable {
        var name: String
        var size: Int64
        var mtime: Int64
        var ctime: Int64
        var inode: UInt64
    }

    var entries: [Entry]

    init(directory: String) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !PolicySet.isTestFile($0) }
            .sorted()
        entries = names.map { name in
            var st = stat()
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            guard stat(path, &st) == 0 else { return Entry(name: name, size: -1, mtime: 0, ctime: 0, inode: 0) }
            #if canImport(Darwin)
                let m = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
                let c = Int64(st.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(st.st_ctimespec.tv_nsec)
            #else
                let m = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
                let c = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
            #endif
            return Entry(name: name, size: Int64(st.st_size), mtime: m, ctime: c, inode: UInt64(st.st_ino))
        }
    }
}

#if os(Linux)
    /// inotify on the folder, on a thread of its own: after an event on a
    /// policy file (or the folder itself), waits until the folder has been
    /// quiet for `debounce`, then calls `changed`. Survives the folder being
    /// replaced (it watches again once the path is back).
    enum InotifyWatch {
        static let mask: UInt32 = UInt32(
            IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF
                | IN_MOVE_SELF)

        /// Returns the function that stops the watch, or nil when inotify cannot be used.
        static func start(
            directory: String, debounce: Duration, logger: Logger, changed: @escaping @Sendable () -> Void
        ) -> (@Sendable () -> Void)? {
            let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
            guard fd >= 0 else { return nil }
            var stopPipe: [Int32] = [-1, -1]
            guard pipe(&stopPipe) == 0 else {
                close(fd)
                return nil
            }
            let (stopRead, stopWrite) = (stopPipe[0], stopPipe[1])
            let debounceMs = Int32(max(1, debounce.components.seconds * 1000 + debounce.components.attoseconds / 1_000_000_000_000_000))
            Thread.detachNewThread {
                defer {
                    close(fd)
                    close(stopRead)
                }
                var watch = inotify_add_watch(fd, directory, mask)
                if watch < 0 { logger.warning("cannot watch the policy folder yet", metadata: ["folder": .string(directory)]) }
                var dirty = false
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    var fds = [
                        pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                        pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0),
                    ]
                    // Waiting: forever when idle and watching; the debounce after an
                    // event; half a second while the folder is missing.
                    let timeout: Int32 = dirty ? debounceMs : (watch < 0 ? 500 : -1)
                    let n = poll(&fds, 2, timeout)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    if fds[1].revents != 0 { return }
                    if n == 0 {
                        if watch < 0 {
                            watch = inotify_add_watch(fd, directory, mask)
                            if watch >= 0 { dirty = true }  // the folder is back: load it after the debounce
                            continue
                        }
                        if dirty {
                            dirty = false
                            changed()
                        }
                        continue
                    }
                    // Drain every event; note whether one concerns the policies.
                    while true {
                        let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                        if got <= 0 { break }
                        var offset = 0
                        while offset + MemoryLayout<inotify_event>.size <= got {
                            let (eventMask, nameLength, name) = buffer.withUnsafeBytes { raw -> (UInt32, Int, String) in
                                let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                                let start = offset + MemoryLayout<inotify_event>.size
                                let length = Int(event.len)
                                let bytes = raw[start..<min(start + length, got)].prefix { $0 != 0 }
                                return (event.mask, length, String(decoding: bytes, as: UTF8.self))
                            }
                            offset += MemoryLayout<inotify_event>.size + nameLength
                            if eventMask & UInt32(IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
                                // The folder itself went: watch its path again when it is back.
                                if watch >= 0 { inotify_rm_watch(fd, watch) }
                                watch = -1
                                dirty = true
                            } else if name.isEmpty || name.hasSuffix(".yaml") || name.hasSuffix(".yml")
                                || name.hasPrefix("..")
                            {
                                // `..data` and friends: Kubernetes swaps a mounted folder by renaming these.
                                dirty = true
                            }
                        }
                    }
                }
            }
            return {
                var byte: UInt8 = 1
                _ = write(stopWrite, &byte, 1)
                close(stopWrite)
            }
        }
    }
#endif
