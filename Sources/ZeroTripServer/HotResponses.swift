import Foundation
import ZeroTrip
import ZeroTripDocuments

/// A response that writes its own JSON: the answers of the audited hot routes (a verification, a window's credit
/// read), which even ``ResponseEncoder`` spent a sixth of the request's time on through `Codable`'s generic
/// containers. Each writer emits exactly what `JSONEncoder` (sorted keys, ISO 8601 dates, nil omitted) writes for
/// the type; `ResponseEncoderTests` compares them byte for byte, so a field added to the type without its writer
/// fails there.
protocol JSONWritable: APIAnswer {
    func write(to json: inout JSONObjectWriter)
}

/// Writes one JSON object; keys must be given in sorted order (each writer lists them so).
struct JSONObjectWriter {
    var bytes: [UInt8]
    private var first = true

    init(into bytes: [UInt8] = []) {
        self.bytes = bytes
        self.bytes.append(UInt8(ascii: "{"))
    }

    /// The finished object.
    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    private mutating func key(_ key: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func string(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        ResponseEncoder.writeString(value, to: &bytes)
    }

    mutating func strings(_ key: StaticString, _ values: [String]) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            ResponseEncoder.writeString(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func date(_ key: StaticString, _ value: Date?) {
        guard let value else { return }
        string(key, ResponseEncoder.iso8601(value))
    }

    mutating func bool(_ key: StaticString, _ value: Bool) {
        self.key(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func integer<I: BinaryInteger>(_ key: StaticString, _ value: I) {
        self.key(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func object(_ key: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        self.key(key)
        var nested = JSONObjectWriter(into: bytes)
        bytes = []
        value.write(to: &nested)
        bytes = nested.finish()
    }

    mutating func objects(_ key: StaticString, _ values: [some JSONWritable]) {
        self.key(key)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            var nested = JSONObjectWriter(into: bytes)
            bytes = []
            value.write(to: &nested)
            bytes = nested.finish()
        }
        bytes.append(UInt8(ascii: "]"))
    }
}

extension JSONWritable {
    /// The object's JSON bytes.
    var jsonBytes: [UInt8] {
        var writer = JSONObjectWriter(into: [])
        writer.bytes.reserveCapacity(1536)
        write(to: &writer)
        return writer.finish()
    }
}

extension VerificationReport: JSONWritable {
    func write(to json: inout JSONObjectWriter) {
        json.object("document", document)
        json.object("keyRevocation", keyRevocation)
        json.string("method", method.rawValue)
        json.objects("reasons", reasons)
        json.bool("registerChecked", registerChecked)
        json.string("result", result.rawValue)
        json.object("transparency", transparency)
        json.date("verifiedAt", verifiedAt)
    }
}

extension KeyRevocationNotice: JSONWritable {
    func write(to json: inout JSONObjectWriter) {
        json.date("notAfter", notAfter)
        json.string("reason", reason)
    }
}

extension VerificationReason: JSONWritable {
    func write(to json: inout JSONObjectWriter) {
        json.string("code", code.rawValue)
        json.string("detail", message)
        json.string("message", Self.chinese(code))
    }
}

extension DocumentSummary: JSONWritable {
    func write(to json: inout JSONObjectWriter) {
        json.string("departmentCode", departmentCode)
        json.string("departmentName", departmentName)
        json.string("holderName", holderName)
        json.string("id", id)
        json.date("issuedAt", issuedAt)
        json.string("kid", kid)
        json.string("matterCode", matterCode)
        json.string("matterName", matterName)
        json.string("status", status?.rawValue)
        json.date("statusChangedAt", statusChangedAt)
        json.string("statusReason", statusReason)
        json.string("supersededBy", supersededBy)
        json.date("validUntil", validUntil)
    }
}

extension InclusionProof: JSONWritable {
    func write(to json: inout JSONObjectWriter) {
        json.string("leafHash", leafHash)
        json.integer("leafIndex", leafIndex)
        json.strings("proof", proof)
        json.object("treeHead", treeHead)
        json.integer("treeSize", treeSize)
    }
}

extension SignedTreeHead: JSONWritable {
    func write(to json: inout JSONObjectWriter) {
        json.string("kid", kid)
        json.string("rootHash", rootHash)
        json.string("signature", signature)
        json.integer("timestamp", timestamp)
        json.integer("treeSize", treeSize)
    }
}

extension WindowCreditCheck: JSONWritable {
    func write(to json: inout JSONObjectWriter) {
        json.date("asOf", asOf)
        json.string("level", level.rawValue)
        json.string("matter", matter)
        json.integer("policyVersion", policyVersion)
        json.object("trustApproval", trustApproval)
    }
}

extension TrustApprovalAvailability: JSONWritable {
    func write(to json: inout JSONObjectWriter) {
        json.bool("available", available)
        json.string("explanation", explanation)
        json.strings("reasons", reasons)
    }
}
