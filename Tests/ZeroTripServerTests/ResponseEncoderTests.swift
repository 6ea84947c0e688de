import Foundation
import Testing
import ZeroTrip
import ZeroTripDocuments
@testable import ZeroTripServer

@Suite("API responses are encoded exactly as JSONEncoder with sorted keys and ISO 8601 dates would")
struct ResponseEncoderTests {
    static func reference<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return [UInt8](try encoder.encode(value))
    }

    static func compare<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try reference(value)
        var outputs = [try ResponseEncoder.encode(value)]
        // The hot answers write themselves; both ways must give JSONEncoder's bytes.
        if let writable = value as? any JSONWritable { outputs.append(writable.jsonBytes) }
        for fast in outputs {
            #expect(
                fast == expected, "\(String(decoding: fast, as: UTF8.self)) ≠ \(String(decoding: expected, as: UTF8.self))",
                sourceLocation: sourceLocation)
        }
    }

    static var report: VerificationReport {
        var report = VerificationReport(
            result: .revoked, reasons: [VerificationReason(.keyRevoked, "撤销 \"quoted\" back\\slash /path\n\t\u{1}\u{1f}\u{7f} 𠮷")],
            document: DocumentSummary(
                id: "a5607a0b98459b4dff2f671e0a3cbf76", departmentCode: "RSJ", departmentName: "测试区人力资源和社会保障局",
                matterCode: "EMPLOYMENT_PROOF", matterName: nil, holderName: "张**",
                issuedAt: Date(timeIntervalSince1970: 1_790_000_000.999), validUntil: Date(timeIntervalSince1970: -0.5),
                status: .valid, statusChangedAt: nil, statusReason: nil, supersededBy: nil, kid: "00ff"),
            registerChecked: true, method: .token, verifiedAt: Date(timeIntervalSince1970: 1_764_000_000))
        report.transparency = try? JSONDecoder().decode(
            InclusionProof.self,
            from: Data(
                """
                {"leafIndex": 12, "treeSize": 4096, "proof": ["AAAA+/==", "BBBB"], "leafHash": "CCCC",
                 "treeHead": {"treeSize": 4096, "timestamp": 1764000000123, "rootHash": "DDDD", "kid": "k", "signature": "EEEE"}}
                """.utf8))
        report.keyRevocation = KeyRevocationNotice(notAfter: Date(timeIntervalSince1970: 1_763_999_999.25), reason: "key_compromise")
        return report
    }

    @Test("A verification answer with every part present or absent")
    func verificationReport() throws {
        #expect(Self.report.transparency?.treeHead != nil)
        try Self.compare(Self.report)
        var bare = Self.report
        bare.document = nil
        bare.transparency = nil
        bare.reasons = []
        bare.keyRevocation = nil
        try Self.compare(bare)
        bare.keyRevocation = KeyRevocationNotice(notAfter: Date(timeIntervalSince1970: 0), reason: nil)
        try Self.compare(bare)
    }

    @Test("A window's credit answer, with and without reasons")
    func creditCheck() throws {
        for reasons in [#"[]"#, #"["level_below_b", "matter_not_eligible"]"#] {
            let check = try JSONDecoder().decode(
                WindowCreditCheck.self,
                from: Data(
                    """
                    {"matter": "RESIDENCE", "level": "B", "asOf": 1764000000.75, "policyVersion": 3,
                     "trustApproval": {"available": false, "reasons": \(reasons), "explanation": "等级 \\"C\\" 不足"}}
                    """.utf8))
            try Self.compare(check)
        }
    }

    struct Mixed: Encodable {
        var counts: [String: Int] = ["b": 1, "B": 2, "a10": 3, "a2": 4, "a_": 5, "aB": 6, "状态": 7]
        var numbers: [Double] = [0.1, 1, 1e20, 1e-7, 1.2345678901234568e17, -0.0, 2.5, -3]
        var nested: [[String?]] = [["x", nil], []]
        var flag = false
        var missing: String? = nil
        var data = Data([0, 1, 2, 250, 255])
        var url = URL(string: "https://verify.example.gov.cn/V/?t=abc&x=1")!
        var big: UInt64 = .max
        var small: Int64 = .min
        var empty: [String: String] = [:]
    }

    @Test("Dictionaries, numbers, nested optionals, Data, URL and integer extremes")
    func mixedValues() throws {
        try Self.compare(Mixed())
    }

    @Test("ISO 8601 dates truncate to the second, before and after 1970")
    func dates() throws {
        for seconds in [0, 1.9, -0.5, -86_400.25, 253_402_300_799, 1_790_000_000.999] {
            try Self.compare(["at": Date(timeIntervalSince1970: seconds)])
        }
    }
}
