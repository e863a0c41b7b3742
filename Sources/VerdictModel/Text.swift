/// The few text helpers the tools used from Foundation.
extension String {
    /// Cut or filled with spaces to `width` characters (as Foundation's
    /// `padding(toLength:withPad: " ", startingAt: 0)`), for aligned columns.
    public func padded(to width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }

    /// Without the spaces, tabs and line breaks at either end.
    public func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
