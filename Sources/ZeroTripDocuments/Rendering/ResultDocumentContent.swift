public import Foundation

/// How the applicant receives the result.
public enum PickupMode: String, Sendable, Codable, CaseIterable {
    /// Printed at a self-service kiosk.
    case kioskPrint = "kiosk_print"
    /// Delivered by courier (O2O).
    case delivery = "o2o_delivery"
    /// The applicant scans the QR and prints it themselves.
    case qrSelfPrint = "qr_self_print"

    /// Whether the verification page links to the original PDF until the holder decides otherwise: on where the
    /// result is printed from its QR code (a kiosk, or the holder's own printer), off when it travels on paper by
    /// courier, where nobody needs the file.
    public var pdfLinkByDefault: Bool {
        switch self {
        case .kioskPrint, .qrSelfPrint: true
        case .delivery: false
        }
    }

    /// The label printed on the document.
    public var label: String {
        switch self {
        case .kioskPrint: "自助终端打印"
        case .delivery: "快递送达"
        case .qrSelfPrint: "扫码自助打印"
        }
    }
}

/// One labelled value of a result document, printed as a table row in order.
public struct ResultField: Sendable, Hashable, Codable {
    /// The label, e.g. 参保险种.
    public var label: String
    /// The value.
    public var value: String
    /// Creates a field.
    public init(label: String, value: String) {
        self.label = label
        self.value = value
    }
}

/// Who a document is issued to: a person (by citizen ID number) or an organisation (by unified social credit code).
public enum HolderKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// A natural person, by GB 11643 citizen ID number.
    case person
    /// A legal person or other organisation, by GB 32100 unified social credit code.
    case organization

    /// The holder line's label on the document and the pages.
    public var holderLabel: String { self == .person ? "持证人" : "持证单位" }
    /// The number line's label.
    public var numberLabel: String { self == .person ? "公民身份号码" : "统一社会信用代码" }
}

/// Everything printed on a result document.
public struct ResultDocumentContent: Sendable, Hashable {
    /// The 16-byte random document id.
    public var documentID: [UInt8]
    /// District name, e.g. 佛山市禅城区.
    public var districtName: String
    /// Issuing department code.
    public var departmentCode: String
    /// Issuing department name (also written around the seal).
    public var departmentName: String
    /// Matter code.
    public var matterCode: String
    /// Matter name, the document title, e.g. 个人参保证明.
    public var matterName: String
    /// Holder's full name.
    public var holderName: String
    /// Holder's citizen ID number (printed in full on the document itself, masked everywhere else), or an
    /// organisation's unified social credit code.
    public var holderIDNumber: String
    /// Whether the holder is a person or an organisation (the labels of the holder lines).
    public var holderKind: HolderKind = .person
    /// Ordered fields.
    public var fields: [ResultField]
    /// Issue time.
    public var issuedAt: Date
    /// End of validity.
    public var validUntil: Date
    /// Pickup mode.
    public var pickupMode: PickupMode
    /// The id of the document this one re-issues, if any.
    public var supersedes: [UInt8]?

    /// Creates content.
    public init(
        documentID: [UInt8], districtName: String, departmentCode: String, departmentName: String,
        matterCode: String, matterName: String, holderName: String, holderIDNumber: String, holderKind: HolderKind = .person,
        fields: [ResultField], issuedAt: Date, validUntil: Date, pickupMode: PickupMode, supersedes: [UInt8]? = nil
    ) {
        self.holderKind = holderKind
        self.documentID = documentID
        self.districtName = districtName
        self.departmentCode = departmentCode
        self.departmentName = departmentName
        self.matterCode = matterCode
        self.matterName = matterName
        self.holderName = holderName
        self.holderIDNumber = holderIDNumber
        self.fields = fields
        self.issuedAt = issuedAt
        self.validUntil = validUntil
        self.pickupMode = pickupMode
        self.supersedes = supersedes
    }
}

/// Masking of personal data for display: everywhere except the document itself.
public enum PersonalDataMask {
    /// `440104199001010014` → `4401**********0014`; short values keep only their last character.
    public static func idNumber(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count > 8 else { return String(repeating: "*", count: max(0, characters.count - 1)) + String(characters.suffix(1)) }
        return String(characters.prefix(4)) + String(repeating: "*", count: characters.count - 8) + String(characters.suffix(4))
    }

    /// `张三` → `张*`, `欧阳娜娜` → `欧***`: the first Unicode scalar kept, each further scalar a `*` (the token's `hn`
    /// shape, docs/qr-token.md §6; by scalar, so a combining mark never survives next to the first character).
    public static func name(_ value: String) -> String {
        guard let first = value.unicodeScalars.first else { return "" }
        return String(first) + String(repeating: "*", count: value.unicodeScalars.count - 1)
    }

    /// For a clerk comparing the paper: `张三丰` → `张*丰`, `张三` → `张*`, `欧阳娜娜` → `欧**娜` (first and last shown).
    public static func nameForComparison(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count > 2 else { return name(value) }
        return String(characters[0]) + String(repeating: "*", count: characters.count - 2) + String(characters[characters.count - 1])
    }

    /// For a clerk comparing the paper: the first 6 (region) and last 4 characters, `440104********0010`.
    public static func idNumberForComparison(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count > 10 else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(6)) + String(repeating: "*", count: characters.count - 10) + String(characters.suffix(4))
    }

    /// `13800138000` → `138****8000`.
    public static func phone(_ value: String) -> String {
        let characters = Array(value)
        guard characters.count >= 7 else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(3)) + String(repeating: "*", count: characters.count - 7) + String(characters.suffix(4))
    }
}

/// Civil time in China Standard Time (UTC+8, no daylight saving), computed without locale data.
public struct ChinaTime: Sendable, Hashable {
    /// Components.
    public let year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    /// The China Standard Time of `date`.
    public init(_ date: Date) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down)) + 8 * 3600
        var days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = Int(seconds - days * 86400)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
        // Howard Hinnant's days-from-civil inverse.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0)
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// `2026年11月22日`.
    public var chineseDate: String { "\(year)年\(Self.two(month))月\(Self.two(day))日" }
    /// `2026-11-22 10:30`.
    public var minuteText: String { "\(year)-\(Self.two(month))-\(Self.two(day)) \(Self.two(hour)):\(Self.two(minute))" }
    /// `2026-11-22T10:30:00+08:00`.
    public var iso8601: String { "\(year)-\(Self.two(month))-\(Self.two(day))T\(Self.two(hour)):\(Self.two(minute)):\(Self.two(second))+08:00" }
    /// `D:20261122103000+08'00'` (ISO 32000-1 §7.9.4).
    public var pdfDate: String { "D:\(year)\(Self.two(month))\(Self.two(day))\(Self.two(hour))\(Self.two(minute))\(Self.two(second))+08'00'" }
}
