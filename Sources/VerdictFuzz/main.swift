// verdict-fuzz TARGET [libFuzzer options] [corpus folders…]
//
// Built with `-sanitize=fuzzer,address -DFUZZING` (see Fuzz/run.sh), it is a
// libFuzzer binary for one of the targets in `FuzzTarget` (ticket, policy,
// cel, eval). Built plainly (as `swift build` does), it replays files or
// folders of inputs through the target and reports any broken invariant:
// how a finding is reproduced without the fuzzer.
import VerdictFuzzing
import VerdictJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

nonisolated(unsafe) var selected = FuzzTarget.ticket

func say(_ s: String) {
    let bytes = Array(s.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func runOne(_ data: UnsafeRawBufferPointer) -> Int32 {
    if let problem = selected.run(data) {
        say("verdict-fuzz: \(selected.rawValue): \(problem)\n")
        abort()
    }
    return 0
}

#if FUZZING
    /// libFuzzer's driver refers to this symbol; the target chosen on the command line runs.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        runOne(UnsafeRawBufferPointer(start: data, count: size))
    }

    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32
#endif

/// A file's bytes, or nil when it cannot be opened.
func contents(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes
}

let args = CommandLine.arguments
// `verdict-fuzz values`: one expression per line of stdin (a JSON string),
// one JSON value per line on stdout, for the differential test against
// another CEL implementation (Tests/Differential/cel_diff.py).
if args.count == 2, args[1] == "values" {
    while let line = readLine(strippingNewline: true) {
        var expression = line
        if case .success(.string(let s)) = JSONReader.parse(line) { expression = s }
        print(DifferentialValues.line(expression))
    }
    exit(0)
}
// `verdict-fuzz threads TICKETS.jsonl`: the work that runs on several
// threads, for a ThreadSanitizer build (.ci/run).
if args.count == 3, args[1] == "threads" {
    guard let tickets = contents(args[2]) else {
        say("verdict-fuzz: cannot read \(args[2])\n")
        exit(2)
    }
    if let problem = ThreadedWork.run(policies: FuzzTarget.policiesFolder(), tickets: tickets) {
        say("verdict-fuzz: threads: \(problem)\n")
        exit(1)
    }
    print("verdict-fuzz: threads: parallel decoding, compile, table analysis, eval workers and replay agree")
    exit(0)
}
guard args.count >= 2, let target = FuzzTarget(rawValue: args[1]) else {
    say("usage: verdict-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) [options] [corpus…]\n")
    exit(2)
}
selected = target

#if FUZZING
    // libFuzzer sees the program name and what follows the target.
    var argv: [UnsafeMutablePointer<CChar>?] = ([args[0]] + args.dropFirst(2)).map { strdup($0) } + [nil]
    var argc = Int32(argv.count - 1)
    let status = argv.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var base = buffer.baseAddress
        return LLVMFuzzerRunDriver(&argc, &base) { data, size in
            runOne(UnsafeRawBufferPointer(start: data, count: size))
        }
    }
    exit(status)
#else
    // Replay: every file named, or in a folder named.
    nonisolated(unsafe) var count = 0
    func replay(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            guard let dir = opendir(path) else { return }
            var names: [String] = []
            while let e = readdir(dir) {
                let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if !name.hasPrefix(".") { names.append(name) }
            }
            closedir(dir)
            for n in names.sorted() { replay(path + "/" + n) }
            return
        }
        guard let bytes = contents(path) else { return }
        _ = bytes.withUnsafeBytes { runOne($0) }
        count += 1
    }
    for path in args.dropFirst(2) where !path.hasPrefix("-") { replay(path) }
    print("verdict-fuzz: \(target.rawValue): \(count) inputs replayed, no problem")
#endif
