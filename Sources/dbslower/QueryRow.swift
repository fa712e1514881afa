import BPFEvents
import LoaderCore

/// One slow query: the event header and the text that follows it in the record.
public struct QueryRow: Sendable {
    public let event: dbslower_event
    /// The query as the server had it (bytes that are not UTF-8 shown as U+FFFD).
    public let query: String
    /// The text was longer than --max-query-size: `query` is its start.
    public let cut: Bool
    /// The text could not be read (paged out, or a bad pointer): `query` is empty.
    public let unreadable: Bool

    init?(_ record: UnsafeRawBufferPointer) {
        let header = MemoryLayout<dbslower_event>.size
        guard record.count >= header else { return nil }
        event = record.loadUnaligned(as: dbslower_event.self)
        // the length is the kernel's claim: never read past the record
        let length = min(Int(event.query_len), record.count - header)
        query = String(decoding: UnsafeRawBufferPointer(rebasing: record[header..<(header + length)]), as: UTF8.self)
        cut = event.flags & UInt32(DBSLOWER_F_CUT) != 0
        unreadable = event.flags & UInt32(DBSLOWER_F_FAULT) != 0
    }
}
