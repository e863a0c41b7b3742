internal import CYAML

/// Parses one YAML document with libyaml's event parser and builds
/// ``YAMLNode`` trees that keep source positions.
public enum YAMLDocument {
    /// Parses `bytes` (UTF-8, an optional leading byte order mark is skipped)
    /// as a single YAML document.
    ///
    /// Returns nil for an empty document: no document at all (only comments
    /// or whitespace), or a document whose root is an implicit empty scalar
    /// (`---` and nothing else).
    ///
    /// Refuses, with positioned diagnostics: syntax errors, invalid UTF-8,
    /// duplicate keys, non-scalar keys, merge keys (`<<`), tags other than the
    /// YAML core ones, undefined aliases, alias expansion beyond
    /// `limits.maxAliasExpansions` nodes, nesting deeper than
    /// `limits.maxDepth`, more than one document, and input larger than
    /// `limits.maxDocumentBytes`. Semantic problems are collected across the
    /// whole file; the first syntax error ends parsing.
    public static func parse(_ bytes: [UInt8], limits: YAMLLimits = .init()) -> Result<YAMLNode?, YAMLDiagnostics> {
        if bytes.count > limits.maxDocumentBytes {
            return .failure(YAMLDiagnostics(diagnostics: [
                YAMLDiagnostic(mark: YAMLMark(line: 1, column: 1),
                               message: "the file is larger than \(size(limits.maxDocumentBytes)), the limit of a policy file (docs/limits.md)", kind: .limit),
            ]))
        }
        var input = bytes
        var bomLength = 0
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF {
            input.removeFirst(3)
            bomLength = 3
        }
        var builder = TreeBuilder(input: input, bomLength: bomLength, limits: limits)
        let root = builder.run()
        if !builder.diagnostics.isEmpty {
            return .failure(YAMLDiagnostics(diagnostics: builder.diagnostics))
        }
        if let root, case .scalar(let s) = root.kind, root.tag == nil, s.style == .plain, s.text.isEmpty {
            return .success(nil)
        }
        return .success(root)
    }

    /// `16 MiB`, or `8 bytes` below a MiB.
    static func size(_ n: Int) -> String { n >= 1 << 20 && n % (1 << 20) == 0 ? "\(n >> 20) MiB" : "\(n) bytes" }

    /// Convenience for text already in memory.
    public static func parse(_ text: String, limits: YAMLLimits = .init()) -> Result<YAMLNode?, YAMLDiagnostics> {
        parse(Array(text.utf8), limits: limits)
    }
}

/// Builds nodes from libyaml events with an explicit stack (no recursion).
struct TreeBuilder {
    private struct Frame {
        var isMapping: Bool
        var isFlow: Bool
        var start: YAMLMark
        var tag: String?
        var anchor: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        /// Key text → line of its first definition.
        var seenKeys: [String: Int] = [:]
        /// Nodes in this collection so far, counting alias expansions.
        var count: Int = 1
        /// Height of the tallest child (after alias expansion).
        var childHeight: Int = 0
    }

    private struct Anchored {
        var node: YAMLNode
        var count: Int
        var height: Int
    }

    let input: [UInt8]
    /// Bytes of a byte order mark removed before `input` (for messages that
    /// quote byte offsets of the original file).
    let bomLength: Int
    let limits: YAMLLimits
    private(set) var diagnostics: [YAMLDiagnostic] = []
    private var stack: [Frame] = []
    private var anchors: [String: Anchored] = [:]
    private var expansions = 0
    private var documents = 0
    private var root: YAMLNode?
    private var stopped = false
    /// Cursor mapping libyaml's character index to a byte offset in `input`.
    private var cursorChar = 0
    private var cursorByte = 0

    static let maxDiagnostics = 100

    init(input: [UInt8], bomLength: Int = 0, limits: YAMLLimits) {
        self.input = input
        self.bomLength = bomLength
        self.limits = limits
    }

    // MARK: Driving libyaml

    mutating func run() -> YAMLNode? {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            report(YAMLMark(line: 1, column: 1), "out of memory while starting the yaml parser")
            return nil
        }
        defer { yaml_parser_delete(parser) }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)

        let buffer = input
        buffer.withUnsafeBufferPointer { raw in
            // libyaml never reads from an empty input's pointer, but give it a
            // valid one anyway.
            let empty: [UInt8] = [0]
            empty.withUnsafeBufferPointer { emptyPtr in
                let base = raw.baseAddress ?? emptyPtr.baseAddress
                guard let base else { return }
                yaml_parser_set_input_string(parser, base, raw.count)
                if raw.count >= Self.pipelineBytes {
                    let pipeline = EventPipeline(parser: parser)
                    if pipeline.start() {
                        consume(pipeline, parser)
                        return
                    }
                }
                var event = yaml_event_t()
                while !stopped {
                    guard yaml_parser_parse(parser, &event) == 1 else {
                        reportParserError(parser.pointee)
                        return
                    }
                    let done = event.type == YAML_STREAM_END_EVENT
                    handle(&event)
                    yaml_event_delete(&event)
                    if done { return }
                }
            }
        }
        return root
    }

    /// Files from this size on are parsed on a second thread while the tree
    /// is built (a thread costs tens of microseconds; small files stay on one).
    static let pipelineBytes = 256 << 10

    /// Builds the tree from the pipeline's batches; stops it on a fatal problem.
    private mutating func consume(_ pipeline: EventPipeline, _ parser: UnsafeMutablePointer<yaml_parser_t>) {
        defer { pipeline.join() }
        while true {
            switch pipeline.next() {
            case .events(var batch):
                var i = 0
                while i < batch.count {
                    if !stopped { handle(&batch[i]) }
                    yaml_event_delete(&batch[i])
                    i += 1
                }
                if stopped {
                    pipeline.cancel()
                    return
                }
            case .end(let failed):
                // The parser's thread has ended: its state can be read here.
                if failed {
                    pipeline.join()
                    reportParserError(parser.pointee)
                }
                return
            }
        }
    }

    private static func mark(_ m: yaml_mark_t) -> YAMLMark {
        YAMLMark(line: Int(clamping: m.line) &+ 1, column: Int(clamping: m.column) &+ 1)
    }

    private static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let p else { return nil }
        return String(cString: UnsafePointer(p))
    }

    private mutating func reportParserError(_ p: yaml_parser_t) {
        func text(_ c: UnsafePointer<CChar>?) -> String? {
            guard let c else { return nil }
            return String(cString: c)
        }
        let problem = text(p.problem) ?? "unknown error"
        switch p.error {
        case YAML_MEMORY_ERROR:
            report(YAMLMark(line: 1, column: 1), "out of memory while parsing yaml")
        case YAML_READER_ERROR:
            // Not UTF-8 text: say what it is and where, in the file's own terms.
            if let (mark, message) = Encoding.problem(in: input, bomLength: bomLength) {
                report(mark, message, kind: .encoding)
                return
            }
            // Reader errors carry a byte offset, not a mark.
            let offset = Int(clamping: p.problem_offset)
            var message = Self.oneLine(problem)
            if p.problem_value >= 0 {
                let hex = String(p.problem_value, radix: 16, uppercase: false)
                if problem.contains("octet") {
                    message += " 0x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    message += " u+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                }
            }
            message += " at byte \(offset + bomLength + 1)"
            report(markForByte(offset), message)
        default:
            var message = Self.oneLine(problem)
            let problemMark = Self.mark(p.problem_mark)
            var started: YAMLMark?
            if let context = text(p.context) {
                message += " " + Self.oneLine(context)
                let contextMark = Self.mark(p.context_mark)
                if contextMark != problemMark {
                    message += " (started at line \(contextMark.line), column \(contextMark.column))"
                }
                started = contextMark
            }
            report(problemMark, message, context: started)
        }
    }

    /// Text from the file made safe for a one-line message: control
    /// characters and backticks escaped, long text shortened.
    static func describe(_ text: String) -> String {
        var out = ""
        var n = 0
        for s in text.unicodeScalars {
            if n == 64 {
                out += "…"
                break
            }
            if s.value < 0x20 || s.value == 0x7F || s == "`" || SourceAligner.isBreak(s) {
                out += "\\u{" + String(s.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(s)
            }
            n += 1
        }
        return out
    }

    /// libyaml's messages, as one lowercase line.
    static func oneLine(_ s: String) -> String {
        String(s.lowercased().map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    /// Line and column of a byte offset, counting breaks as libyaml does.
    private func markForByte(_ offset: Int) -> YAMLMark {
        var line = 1
        var column = 1
        var i = 0
        let end = min(max(0, offset), input.count)
        while i < end {
            let b = input[i]
            let width = Self.utf8Width(b)
            if b == 0x0D {
                if i + 1 < end, input[i + 1] == 0x0A { i += 1 }
                line += 1
                column = 1
            } else if b == 0x0A {
                line += 1
                column = 1
            } else if b == 0xC2, i + 1 < input.count, input[i + 1] == 0x85 {
                line += 1
                column = 1
            } else if b == 0xE2, i + 2 < input.count, input[i + 1] == 0x80,
                      input[i + 2] == 0xA8 || input[i + 2] == 0xA9 {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += width
        }
        return YAMLMark(line: line, column: column)
    }

    private static func utf8Width(_ b: UInt8) -> Int {
        if b < 0x80 { return 1 }
        if b & 0xE0 == 0xC0 { return 2 }
        if b & 0xF0 == 0xE0 { return 3 }
        if b & 0xF8 == 0xF0 { return 4 }
        return 1
    }

    /// Byte offset of libyaml's character index (monotonic cursor; restarts
    /// from the beginning if asked to go back, which events never do).
    private mutating func byteOffset(ofChar index: Int) -> Int {
        if index < cursorChar {
            cursorChar = 0
            cursorByte = 0
        }
        while cursorChar < index, cursorByte < input.count {
            cursorByte += Self.utf8Width(input[cursorByte])
            cursorChar += 1
        }
        return min(cursorByte, input.count)
    }

    // MARK: Diagnostics

    private mutating func report(
        _ mark: YAMLMark, _ message: String, length: Int? = nil, kind: YAMLDiagnostic.Kind = .syntax,
        context: YAMLMark? = nil
    ) {
        if diagnostics.count >= Self.maxDiagnostics {
            stopped = true
            return
        }
        diagnostics.append(YAMLDiagnostic(mark: mark, message: message, length: length, kind: kind, context: context))
        if diagnostics.count >= Self.maxDiagnostics {
            diagnostics.append(YAMLDiagnostic(mark: mark, message: "too many problems; stopped here", kind: .limit))
            stopped = true
        }
    }

    /// Reports and stops: nothing after this point can be trusted.
    private mutating func fatal(
        _ mark: YAMLMark, _ message: String, length: Int? = nil, kind: YAMLDiagnostic.Kind = .syntax
    ) {
        report(mark, message, length: length, kind: kind)
        stopped = true
    }

    // MARK: Events

    private mutating func handle(_ event: inout yaml_event_t) {
        let start = Self.mark(event.start_mark)
        let end = Self.mark(event.end_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                fatal(start, "only one document per file", kind: .unsupported)
            }
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let tag = Self.string(data.tag)
            let anchor = Self.string(data.anchor)
            let text: String
            if let value = data.value {
                text = String(decoding: UnsafeBufferPointer(start: value, count: Int(clamping: data.length)), as: UTF8.self)
            } else {
                text = ""
            }
            let style: YAMLScalarStyle
            switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let (source, sourceStart) = scalarSource(from: event.start_mark, to: event.end_mark,
                                                      start: start, hasProperties: tag != nil || anchor != nil, text: text)
            let checkedTag = check(tag: tag, at: start, kind: "scalar")
            let scalar = YAMLScalar(
                text: text, style: style, explicitTag: checkedTag.flatMap(CoreTag.Scalar.init), source: source,
                sourceStart: sourceStart)
            if let checkedTag { checkScalar(scalar, tag: checkedTag, at: start) }
            let node = YAMLNode(kind: .scalar(scalar), span: YAMLSpan(start: start, end: end), tag: tag)
            complete(node, count: 1, height: 0, anchor: anchor)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let tag = Self.string(isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag)
            let anchor = Self.string(isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor)
            let isFlow = isMapping
                ? event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                : event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
            if stack.count >= limits.maxDepth {
                fatal(
                    start, "nesting deeper than \(limits.maxDepth) levels of mappings and lists, the limit of a policy file (docs/limits.md)",
                    kind: .limit)
                return
            }
            let checkedTag = check(tag: tag, at: start, kind: isMapping ? "mapping" : "sequence")
            stack.append(Frame(isMapping: isMapping, isFlow: isFlow, start: start, tag: checkedTag ?? tag, anchor: anchor))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return }
            let kind: YAMLNode.Kind = frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items)
            var last: YAMLMark?
            if frame.isMapping {
                last = frame.pendingKey?.span.end ?? frame.pairs.last?.value.span.end
            } else {
                last = frame.items.last?.span.end
            }
            let spanEnd = frame.isFlow ? end : (last ?? start)
            let node = YAMLNode(kind: kind, span: YAMLSpan(start: frame.start, end: spanEnd), tag: frame.tag)
            complete(node, count: frame.count, height: frame.childHeight + 1, anchor: frame.anchor)
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            let length = max(1, end.line == start.line ? end.column - start.column : 1)
            guard let anchored = anchors[name] else {
                report(start, "undefined alias `*\(name)`", length: length, kind: .invalid)
                let placeholder = YAMLNode(kind: .scalar(YAMLScalar(text: "", style: .plain, start: start)),
                                           span: YAMLSpan(start: start, end: end))
                complete(placeholder, count: 1, height: 0, anchor: nil)
                return
            }
            let (sum, overflow) = expansions.addingReportingOverflow(anchored.count)
            if overflow || sum > limits.maxAliasExpansions {
                fatal(
                    start, "alias `*\(name)` expands beyond the limit of \(limits.maxAliasExpansions) nodes (docs/limits.md)", length: length,
                    kind: .limit)
                return
            }
            expansions = sum
            if stack.count + anchored.height > limits.maxDepth {
                fatal(
                    start, "nesting deeper than \(limits.maxDepth) levels of mappings and lists (through alias `*\(name)`), the limit of a policy file (docs/limits.md)", length: length,
                    kind: .limit)
                return
            }
            complete(anchored.node, count: anchored.count, height: anchored.height, anchor: nil)
        default:
            break
        }
    }

    /// Raw source of a scalar token, starting after its anchor/tag properties.
    /// Most scalars are written as they read (plain, one line): their source
    /// is then their value's own string, shared rather than copied.
    private mutating func scalarSource(from s: yaml_mark_t, to e: yaml_mark_t, start: YAMLMark,
                                       hasProperties: Bool, text value: String) -> (String, YAMLMark) {
        let from = byteOffset(ofChar: Int(clamping: s.index))
        let to = max(from, byteOffset(ofChar: Int(clamping: e.index)))
        if !hasProperties, value.utf8.count == to - from,
            value.utf8.withContiguousStorageIfAvailable({ v in
                input.withUnsafeBufferPointer { i in
                    guard let a = v.baseAddress, let b = i.baseAddress else { return v.isEmpty }
                    return memcmp(a, b + from, v.count) == 0
                }
            }) ?? value.utf8.elementsEqual(input[from..<to])
        {
            return (value, start)
        }
        let text = String(decoding: input[from..<to], as: UTF8.self)
        guard hasProperties else { return (text, start) }
        // Skip `&anchor`, `!tag`, whitespace, line breaks and comments.
        let scalars = Array(text.unicodeScalars)
        var i = 0
        var afterSpace = true
        while i < scalars.count {
            let c = scalars[i]
            if afterSpace, c == "&" || c == "!" {
                while i < scalars.count, !SourceAligner.isBlank(scalars[i]), !SourceAligner.isBreak(scalars[i]) { i += 1 }
                afterSpace = false
            } else if SourceAligner.isBlank(c) || SourceAligner.isBreak(c) {
                i += 1
                afterSpace = true
            } else if afterSpace, c == "#" {
                while i < scalars.count, !SourceAligner.isBreak(scalars[i]) { i += 1 }
            } else {
                break
            }
        }
        let tokenStart = SourceAligner.position(of: i, in: scalars, start: start)
        var rest = String.UnicodeScalarView()
        rest.append(contentsOf: scalars[i...])
        return (String(rest), tokenStart)
    }

    /// Checks an explicit tag; returns it when it is a core tag that fits.
    private mutating func check(tag: String?, at mark: YAMLMark, kind: String) -> String? {
        guard let tag else { return nil }
        let shown = CoreTag.display(tag)
        let allowed: Bool
        switch kind {
        case "scalar": allowed = CoreTag.Scalar(tag) != nil
        case "sequence": allowed = tag == CoreTag.seq
        default: allowed = tag == CoreTag.map
        }
        if allowed { return tag }
        if CoreTag.Scalar(tag) != nil || tag == CoreTag.seq || tag == CoreTag.map {
            report(mark, "tag `\(shown)` cannot be used on a \(kind)", length: shown.unicodeScalars.count, kind: .unsupported)
        } else if tag.hasPrefix(CoreTag.prefix) {
            report(mark, "tag `\(shown)` is not supported (only !!str, !!int, !!float, !!bool, !!null, !!seq and !!map)",
                   length: shown.unicodeScalars.count, kind: .unsupported)
        } else {
            report(mark, "custom tag `\(shown)` is not supported", length: shown.unicodeScalars.count, kind: .unsupported)
        }
        return nil
    }

    /// A tagged scalar must be spelled as its tag says.
    private mutating func checkScalar(_ scalar: YAMLScalar, tag: String, at mark: YAMLMark) {
        let ok: Bool
        switch tag {
        case CoreTag.int: ok = scalar.asInt != nil
        case CoreTag.float: ok = scalar.asDouble != nil
        case CoreTag.bool: ok = scalar.asBool != nil
        case CoreTag.null: ok = scalar.isNull
        default: ok = true
        }
        if !ok {
            report(mark, "`\(Self.describe(scalar.text))` is not a valid \(CoreTag.display(tag))", kind: .invalid)
        }
    }

    /// Attaches a finished node to its parent (or makes it the root).
    private mutating func complete(_ node: YAMLNode, count: Int, height: Int, anchor: String?) {
        if let anchor {
            anchors[anchor] = Anchored(node: node, count: count, height: height)
        }
        guard var frame = stack.popLast() else {
            root = node
            return
        }
        frame.count = frame.count > Int.max - count ? Int.max : frame.count + count
        frame.childHeight = max(frame.childHeight, height)
        if !frame.isMapping {
            frame.items.append(node)
        } else if let key = frame.pendingKey {
            frame.pairs.append(YAMLPair(key: key, value: node))
            frame.pendingKey = nil
        } else {
            checkKey(node, in: &frame)
            frame.pendingKey = node
        }
        stack.append(frame)
    }

    private mutating func checkKey(_ key: YAMLNode, in frame: inout Frame) {
        let start = key.span.start
        let length = key.span.end.line == start.line ? max(1, key.span.end.column - start.column) : nil
        guard case .scalar(let scalar) = key.kind else {
            report(start, "mapping keys must be scalars, found a \(key.kindName)", length: length, kind: .unsupported)
            return
        }
        if scalar.style == .plain, key.tag == nil, scalar.text == "<<" {
            report(start, "merge keys are not supported", length: length, kind: .unsupported)
            return
        }
        if let firstLine = Self.firstLine(of: scalar.text, in: &frame) {
            report(
                start, "duplicate key `\(Self.describe(scalar.text))` (first defined at line \(firstLine))", length: length,
                kind: .duplicateKey)
        } else if !frame.seenKeys.isEmpty {
            frame.seenKeys[scalar.text] = start.line
        }
    }

    /// The line of an earlier key equal to `text` in this mapping. Small
    /// mappings (most of a policy) are scanned; a large one gets a table.
    private static func firstLine(of text: String, in frame: inout Frame) -> Int? {
        if frame.seenKeys.isEmpty {
            for pair in frame.pairs {
                if case .scalar(let s) = pair.key.kind, s.text == text { return pair.key.span.start.line }
            }
            guard frame.pairs.count >= 8 else { return nil }
            for pair in frame.pairs {
                if case .scalar(let s) = pair.key.kind, frame.seenKeys[s.text] == nil {
                    frame.seenKeys[s.text] = pair.key.span.start.line
                }
            }
            return nil
        }
        return frame.seenKeys[text]
    }
}

/// What makes bytes not UTF-8 text, found after libyaml refuses them (so a
/// good file pays nothing): a UTF-16 or UTF-32 file, a NUL byte, or the first
/// byte that is not part of a UTF-8 character, by line, column and byte.
enum Encoding {
    /// The mark (line 0: the whole file) and the message, or nil when the bytes are UTF-8 without NULs.
    static func problem(in input: [UInt8], bomLength: Int) -> (YAMLMark, String)? {
        let wholeFile = YAMLMark(line: 0, column: 0)
        if input.starts(with: [0xFF, 0xFE, 0, 0]) || input.starts(with: [0, 0, 0xFE, 0xFF]) {
            return (wholeFile, "the file is UTF-32 (it starts with a UTF-32 byte order mark), not UTF-8")
        }
        if input.starts(with: [0xFF, 0xFE]) || input.starts(with: [0xFE, 0xFF]) {
            return (wholeFile, "the file is UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8")
        }
        let sample = input.prefix(4096)
        let nuls = sample.lazy.filter { $0 == 0 }.count
        if nuls > 0, nuls * 4 >= sample.count {
            return (wholeFile, "the file looks like UTF-16 or UTF-32 (\(nuls) of its first \(sample.count) bytes are NUL), not UTF-8")
        }
        var line = 1
        var column = 1
        var i = 0
        while i < input.count {
            let b = input[i]
            let width = sequenceLength(input, at: i)
            guard width > 0 else {
                return (
                    YAMLMark(line: line, column: column),
                    "byte 0x\(hex(b)) (byte \(i + bomLength + 1) of the file) is not UTF-8: the file is in another encoding (Latin-1, GBK…)"
                )
            }
            if b == 0 {
                return (
                    YAMLMark(line: line, column: column),
                    "a NUL byte (byte \(i + bomLength + 1) of the file): a policy file is text, without NULs")
            }
            if b == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            i += width
        }
        return nil
    }

    static func hex(_ b: UInt8) -> String {
        let h = String(b, radix: 16, uppercase: true)
        return h.count < 2 ? "0" + h : h
    }

    /// The length of the well-formed UTF-8 sequence at `i`, or 0.
    static func sequenceLength(_ s: [UInt8], at i: Int) -> Int {
        let b = s[i]
        if b < 0x80 { return 1 }
        func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
            i + k < s.count && s[i + k] >= lo && s[i + k] <= hi
        }
        switch b {
        case 0xC2...0xDF: return cont(1) ? 2 : 0
        case 0xE0: return cont(1, 0xA0) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : 0
        case 0xED: return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0
        case 0xF0: return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4: return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0
        default: return 0
        }
    }
}
