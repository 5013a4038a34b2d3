/// A point in time at one-second resolution, written and read as an HTTP IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7).
///
/// Computed with integer calendar arithmetic (proleptic Gregorian, UTC) instead of `asctime`/`strftime`,
/// so it is thread-safe, locale-independent and allocation-light.
public struct HTTPDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSince1970: Int

    /// Creates a date from seconds since the Unix epoch.
    public init(secondsSince1970: Int) {
        self.secondsSince1970 = secondsSince1970
    }

    static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The IMF-fixdate form.
    public var description: String {
        let days = Self.floorDiv(secondsSince1970, 86_400)
        let secondOfDay = secondsSince1970 - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        let weekday = Self.weekdays[((days % 7) + 7) % 7]
        return "\(weekday), \(Self.pad(day)) \(Self.months[month - 1]) \(year) "
            + "\(Self.pad(secondOfDay / 3600)):\(Self.pad(secondOfDay / 60 % 60)):\(Self.pad(secondOfDay % 60)) GMT"
    }

    /// Parses an IMF-fixdate; `nil` for anything else (the obsolete RFC 850 and asctime forms included —
    /// a conditional header with an unparseable date is ignored, as RFC 9110 §13.1.3 requires).
    public init?(_ text: String) {
        let b = Array(text.utf8)
        guard b.count == 29, b[3] == UInt8(ascii: ","), b[4] == 0x20, b[7] == 0x20, b[11] == 0x20, b[16] == 0x20,
              b[19] == UInt8(ascii: ":"), b[22] == UInt8(ascii: ":"), b[25] == 0x20,
              b[26...] == Array("GMT".utf8)[...] else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for c in b[range] {
                guard c >= 0x30 && c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            return value
        }
        let monthName = String(decoding: b[8 ..< 11], as: UTF8.self)
        guard let day = number(5 ..< 7), let year = number(12 ..< 16), let hour = number(17 ..< 19),
              let minute = number(20 ..< 22), let second = number(23 ..< 25),
              let monthIndex = Self.months.firstIndex(of: monthName),
              (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let days = Self.days(fromCivil: year, month: monthIndex + 1, day: day)
        secondsSince1970 = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59)
    }

    public static func < (lhs: HTTPDate, rhs: HTTPDate) -> Bool {
        lhs.secondsSince1970 < rhs.secondsSince1970
    }

    static func pad(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }

    static func floorDiv(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    /// Days since 1970-01-01 → (year, month 1...12, day 1...31); Howard Hinnant's `civil_from_days`.
    static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// (year, month, day) → days since 1970-01-01; Howard Hinnant's `days_from_civil`.
    static func days(fromCivil year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
