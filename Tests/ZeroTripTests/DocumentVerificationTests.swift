import Foundation
import Testing
import ZeroTripDomainTestSupport
@testable import ZeroTrip
import ZeroTripCrypto
import ZeroTripDocuments
import ZeroTripTestSupport

@Suite("Result documents: verification of tokens and PDFs")
struct DocumentVerificationTests {
    static func issued(days: Int = 365) async throws -> (TestDistrict, IssuedDocument) {
        let district = try await TestDistrict().setUp()
        var request = DocumentIssuanceTests.request
        request.validDays = days
        return (district, try await district.services.documents.issue(request, actor: "test"))
    }

    @Test("Changing any single byte inside the signed ranges makes PDF verification fail")
    func everySignedByteMatters() async throws {
        let (district, document) = try await Self.issued()
        let documents = district.services.documents
        #expect(try await documents.verifyPDF(document.pdf, actor: "test", audit: false).result == .valid)
        let pdf = try SignedPDF(document.pdf)
        // Every byte outside /Contents, in a stride that still visits each object of the file, plus the edges.
        var positions = Array(stride(from: 0, to: pdf.gapStart, by: 37)) + Array(stride(from: pdf.gapEnd, to: document.pdf.count, by: 7))
        positions += [0, pdf.gapStart - 1, pdf.gapEnd, document.pdf.count - 1]
        for position in positions {
            var tampered = document.pdf
            tampered[position] ^= 0x01
            let report = try await documents.verifyPDF(tampered, actor: "test", audit: false)
            #expect(report.result == .invalid, "byte \(position) changed, still \(report.result)")
        }
    }

    @Test("Changing any character of a token makes token verification fail")
    func everyTokenCharacterMatters() async throws {
        let (district, document) = try await Self.issued()
        let verifier = try await district.services.documents.verifier()
        let token = Array(document.record.token)
        #expect(verifier.verifyToken(document.record.token, now: Date()).result == .valid)
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
        for index in token.indices {
            var changed = token
            changed[index] = alphabet.first { $0 != token[index] && $0 != (index + 1 < token.count ? token[index] : " ") }!
            let outcome = verifier.verifyToken(String(changed), now: Date())
            #expect(outcome.result != .valid, "character \(index) changed, still valid")
        }
    }

    @Test("Scanned text: the first of /V/? and /v/? is taken whichever case comes first, and a long URL the spec accepts is not refused on length")
    func scannedText() throws {
        let token = "ZT1:ABC"
        #expect(try ResultToken.extract(fromScanned: "https://a.example/v/?ZT1:FIRST#x https://a.example/V/?ZT1:SECOND") == "ZT1:FIRST")
        #expect(
            try ResultToken.extract(fromScanned: "https://a.example/V/?ZT1:FIRST https://a.example/v/?ZT1:SECOND")
                == "ZT1:FIRST https://a.example/v/?ZT1:SECOND")
        // A 1,500-character text (long base URL, token fully percent-encoded) is extracted; the token limit decides.
        let encoded = token.utf8.map { String(format: "%%%02X", $0) }.joined()
        let long = "https://" + String(repeating: "a", count: 1400) + ".example/V/?" + encoded
        #expect(long.utf8.count > 1_112)
        #expect(try ResultToken.extract(fromScanned: long) == token)
        #expect { try ResultToken.extract(fromScanned: String(repeating: "x", count: ResultToken.maximumScannedLength + 1)) } throws: {
            ($0 as? ResultTokenError)?.code == .tokenTooLong
        }
        // Percent-escapes decode (either case of hex digit), the fragment ends the token, and a marker split by
        // other characters or a lone `/V/` is no marker.
        #expect(try ResultToken.extract(fromScanned: "HTTPS://A.EXAMPLE/V/?ZT1:A%20B%2fC#page") == "ZT1:A B/C")
        #expect(try ResultToken.extract(fromScanned: "中文/v/?ZT1:X") == "ZT1:X")
        for (text, code) in [
            ("https://a.example/V/ZT1:A", ResultTokenError.Code.tokenMalformed),
            ("https://a.example/V/?ZT1:A%2", .tokenMalformed), ("https://a.example/V/?ZT1:A%G0", .tokenMalformed),
            ("https://a.example/V/?ZT1:%FF", .tokenMalformed), ("https://a.example/V/?QR1:A", .tokenMalformed),
            ("/V?", .tokenMalformed), ("", .tokenMalformed),
        ] {
            do {
                _ = try ResultToken.extract(fromScanned: text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.code == code, "\(text)")
            }
        }
    }

    @Test("A seal certificate naming two departments (OU) cannot vouch for either: a token it signed answers department_mismatch")
    func twoOrganizationalUnits() throws {
        let now = Date()
        let rootKey = try PrivateKey(generating: .p256), sealKey = try PrivateKey(generating: .p256)
        let root = try CertificateAuthority.makeRootCertificate(
            subject: DistinguishedName([.init(type: "C", value: "CN"), .init(type: "O", value: "测试区"), .init(type: "CN", value: "测试区根证书")]),
            key: rootKey, notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86_400 * 365))
        let seal = try CertificateAuthority.issueSealCertificate(
            subject: DistinguishedName([
                .init(type: "C", value: "CN"), .init(type: "O", value: "测试区"), .init(type: "OU", value: "RSJ"),
                .init(type: "OU", value: "GAJ"), .init(type: "CN", value: "两个部门"),
            ]),
            subjectKey: sealKey.publicKey, issuer: root, issuerKey: rootKey, notValidBefore: now.addingTimeInterval(-60),
            notValidAfter: now.addingTimeInterval(86_400))
        let claims = ResultTokenClaims(
            documentID: Array(repeating: 7, count: 16), departmentCode: "RSJ", matterCode: "GRCBZM",
            issuedAt: Int64(now.timeIntervalSince1970), expiresAt: Int64(now.timeIntervalSince1970) + 86_400,
            contentDigest: Array(repeating: 9, count: 32), maskedHolderName: "张**")
        let token = try ResultToken.issue(claims, kid: seal.kid, key: sealKey)
        let outcome = DocumentVerifier(roots: [root], sealCertificates: [seal]).verifyToken(token, now: now)
        #expect(outcome.result == .invalid && outcome.reason?.code == .departmentMismatch)
    }

    @Test("Unknown key → unknown; revoked → revoked; expired → expired; superseded → revoked with the new id")
    func distinctResults() async throws {
        let (district, document) = try await Self.issued(days: 30)
        let documents = district.services.documents

        // A token signed by a key that is not in the district's trust material.
        let stranger = try PrivateKey(generating: .p256)
        let claims = try ResultToken.parse(document.record.token).claims
        let forged = try ResultToken.issue(claims, kid: [1, 2, 3, 4, 5, 6, 7, 8], key: stranger)
        let unknown = try await documents.verifyToken(forged, actor: "test")
        #expect(unknown.result == .unknown)
        #expect(unknown.reasons.first?.code == .kidUnknown)

        // Same kid as the real seal, but signed by another key.
        let impostor = try ResultToken.issue(claims, kid: Hex.decode(document.record.kid)!, key: stranger)
        #expect(try await documents.verifyToken(impostor, actor: "test").reasons.first?.code == .signatureInvalid)

        // The department's own seal signing the genuine claims with another masked name (a shape-valid "王*"): the
        // register holds 张三丰, so the token does not match it.
        let seal = try await district.services.administration.activeSeal(department: "RSJ")
        var renamed = claims
        renamed.maskedHolderName = "王**"
        let resigned = try ResultToken.issue(renamed, kid: seal.sealer.kid, key: seal.sealer.cms.key)
        let mismatch = try await documents.verifyToken(resigned, actor: "test")
        #expect(mismatch.result == .invalid && mismatch.reasons.first?.code == .registerMismatch)

        // Expired: move the clock past validity.
        district.clock.advance(by: 31 * 86_400)
        let expired = try await documents.verifyToken(document.qrContent, actor: "test")
        #expect(expired.result == .expired)
        #expect(try await documents.verifyPDF(document.pdf, actor: "test").result == .expired)
        district.clock.advance(by: -31 * 86_400)

        // Re-issue supersedes; revocation revokes. Token, PDF and id all agree.
        let second = try await documents.reissue(document.record.id, with: DocumentIssuanceTests.request, actor: "test")
        for report in [
            try await documents.verifyToken(document.record.token, actor: "test"), try await documents.verifyPDF(document.pdf, actor: "test"),
            try await documents.verifyID(document.record.id.rawValue, actor: "test"),
        ] {
            #expect(report.result == .revoked)
            #expect(report.reasons.first?.code == .superseded)
            #expect(report.document?.supersededBy == second.record.id.rawValue)
        }
        #expect(try await documents.verifyToken(second.qrContent, actor: "test").result == .valid)
        try await documents.revoke(second.record.id, reason: .issuedInError, actor: "test")
        let revoked = try await documents.verifyPDF(second.pdf, actor: "test")
        #expect(revoked.result == .revoked)
        #expect(revoked.document?.statusReason == "issued_in_error")
        #expect(try await documents.verifyToken(second.record.token, actor: "test").result == .revoked)
        await expectError(.documentNotValid) { try await documents.revoke(second.record.id, reason: .other, actor: "test") }
        await expectError(.documentNotValid) {
            _ = try await documents.reissue(document.record.id, with: DocumentIssuanceTests.request, actor: "test")
        }

        // Every verification was audited: who, what, the result.
        let verifications = try await AuditLog.events(in: district.services.database, limit: 100).filter { $0.action == "document.verified" }
        #expect(verifications.count >= 9)
        #expect(verifications.contains { $0.target == "document:\(document.record.id)" && $0.details.contains("\"result\":\"revoked\"") })
    }

    @Test("Verifications answered together (one batch, its register rows read at once) each get their own document's answer and one audit event each")
    func concurrentVerificationsKeepTheirOwnAnswers() async throws {
        let (district, first) = try await Self.issued()
        let documents = district.services.documents
        let second = try await documents.issue(DocumentIssuanceTests.request, actor: "test")
        let third = try await documents.issue(DocumentIssuanceTests.request, actor: "test")
        try await documents.revoke(second.record.id, reason: .issuedInError, actor: "test")
        // Correctly sealed, but for a document id the register does not hold.
        let seal = try await district.services.administration.activeSeal(department: "RSJ")
        var claims = try ResultToken.parse(first.record.token).claims
        claims.documentID = [UInt8](repeating: 0xAB, count: claims.documentID.count)
        let unregistered = try ResultToken.issue(claims, kid: seal.sealer.kid, key: seal.sealer.cms.key)

        let cases: [(token: String, result: VerificationResult, code: String?, id: String)] = [
            (first.qrContent, .valid, nil, first.record.id.rawValue), (second.record.token, .revoked, "issued_in_error", second.record.id.rawValue),
            (third.record.token, .valid, nil, third.record.id.rawValue), (unregistered, .invalid, "not_registered", claims.documentIDHex),
        ]
        let before = try await AuditLog.events(in: district.services.database, limit: 100_000).count
        let rounds = 12
        let answers = try await withThrowingTaskGroup(of: (Int, VerificationReport).self) { group in
            for round in 0..<rounds {
                for (index, item) in cases.enumerated() {
                    group.addTask { (index, try await documents.verifyToken(item.token, actor: "test:\(round)")) }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == rounds * cases.count)
        for (index, report) in answers {
            let expected = cases[index]
            #expect(report.result == expected.result, "case \(index)")
            #expect(report.document?.id == expected.id, "case \(index)")
            if expected.result == .revoked { #expect(report.document?.statusReason == expected.code) }
            if expected.result == .invalid { #expect(report.reasons.first?.code.rawValue == expected.code) }
        }
        let events = try await AuditLog.events(in: district.services.database, limit: 100_000)
        #expect(events.count == before + rounds * cases.count)
        for (index, item) in cases.enumerated() {
            let audited = events.filter { $0.action == "document.verified" && $0.target == "document:\(item.id)" && $0.actor.hasPrefix("test:") }
            #expect(audited.count == rounds, "case \(index)")
        }
        // Each verification was expected by the batcher until it queued its event; none is left counted (a leak would
        // make every later batch wait its full gathering limit).
        #expect(district.services.database.audit.backlog == .init(queued: 0, expected: 0, gathering: false))
        guard case .intact = try await AuditLog.verify(district.services.database) else { Issue.record("audit chain broken"); return }
    }

    @Test(
        "Bad tokens: each gets invalid with its own code and nothing is stored",
        arguments: [
            ("", "token_malformed"), ("ZT1:", "cose_malformed"), ("hello", "token_malformed"), ("ZT1:abc", "base45_invalid"),
            ("ZT1:" + String(repeating: "A", count: 700), "token_too_long"), ("ZT1:A", "base45_invalid"),
            ("HTTP://X/V/?ZT1:%2", "token_malformed"), ("HTTP://X/V/ZT1:AAA", "token_malformed"),
        ])
    func badTokens(input: String, code: String) async throws {
        let (district, _) = try await Self.issued()
        let before = try await district.tableCounts()
        let report = try await district.services.documents.verifyToken(input, actor: "test", audit: false)
        #expect(report.result == .invalid)
        #expect(report.reasons.first?.code.rawValue == code, "\(input.prefix(30)): \(report.reasons)")
        await #expect(try district.tableCounts() == before)
    }

    @Test("A decompression bomb is refused before inflating more than the limit")
    func decompressionBomb() async throws {
        let (district, document) = try await Self.issued()
        let verifier = try await district.services.documents.verifier()
        let bomb = ResultToken.prefix + Base45.encode(Zlib.compress([UInt8](repeating: 0, count: 200_000), level: 9))
        #expect(bomb.utf8.count < ResultToken.maximumTextLength)
        #expect(verifier.verifyToken(bomb, now: Date()).reason?.code == .decompressedTooLarge)
        // A compressed copy of a real token is accepted (DCC-style), within the limits.
        let original = try ResultToken.parse(document.record.token).message.encoded()
        let compressed = ResultToken.prefix + Base45.encode(Zlib.compress(original, level: 9))
        #expect(verifier.verifyToken(compressed, now: Date()).result == .valid)
    }

    @Test("Bad uploads: not a PDF, no signature, two signatures, truncated, oversized → clear codes, nothing stored")
    func badUploads() async throws {
        let (district, document) = try await Self.issued()
        let documents = district.services.documents
        let before = try await district.tableCounts()
        let unsigned =
            Array("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".utf8) + [UInt8](repeating: 0x20, count: 64)
        // An incremental update appending a second signature dictionary.
        let second = document.pdf + Array("\n99 0 obj\n<< /Type /Sig /ByteRange [0 10 20 30] /Contents <00> >>\nendobj\n%%EOF\n".utf8)
        let cases: [([UInt8], String)] = [
            (Array("just some text, not a PDF at all; long enough to pass the size check........".utf8), "pdf_malformed"),
            (unsigned, "pdf_unsigned"),
            (second, "pdf_multiple_signatures"),
            (Array(document.pdf.prefix(document.pdf.count / 2)), "pdf_malformed"),
            ([UInt8](repeating: 0x25, count: SignedPDF.maximumLength + 1), "pdf_too_large"),
        ]
        for (bytes, code) in cases {
            let report = try await documents.verifyPDF(bytes, actor: "test", audit: false)
            #expect(report.result == .invalid)
            #expect(report.reasons.first?.code.rawValue == code, "expected \(code), got \(report.reasons)")
        }
        await #expect(try district.tableCounts() == before)
        // Audited, good and bad: no verification stays counted as on its way to the audit batcher.
        #expect(try await documents.verifyPDF(document.pdf, actor: "test").result == .valid)
        #expect(try await documents.verifyPDF(cases[0].0, actor: "test").result == .invalid)
        #expect(district.services.database.audit.backlog == .init(queued: 0, expected: 0, gathering: false))
    }

    @Test("Bad issuance requests are refused with a code and leave nothing behind")
    func badRequests() async throws {
        let district = try await TestDistrict().setUp()
        let documents = district.services.documents
        let before = try await district.tableCounts()
        var cases: [(IssueDocumentRequest, String)] = []
        var r = DocumentIssuanceTests.request
        r.holderIDNumber = "440104199001010011"; cases.append((r, "invalid_id_number"))
        r = DocumentIssuanceTests.request; r.departmentCode = "NOPE"; cases.append((r, "unknown_department"))
        r = DocumentIssuanceTests.request; r.fields = []; cases.append((r, "invalid_input"))
        r = DocumentIssuanceTests.request; r.fields[0].value = "企业职工\u{30000}"; cases.append((r, "unsupported_character"))  // in no installed font
        // The holder must be the registry's person for that number: another name, or a valid number nobody holds.
        r = DocumentIssuanceTests.request; r.holderName = "赵敏"; cases.append((r, "holder_mismatch"))
        r = DocumentIssuanceTests.request; r.holderIDNumber = "440104199001010037"; cases.append((r, "unknown_person"))
        r = DocumentIssuanceTests.request; r.matterCode = "bad code!"; cases.append((r, "invalid_input"))
        r = DocumentIssuanceTests.request; r.validDays = 0; cases.append((r, "invalid_input"))
        // Past the limits (long tables are laid out over several pages; longer values and more fields are refused).
        r = DocumentIssuanceTests.request; r.fields = Array(repeating: ResultField(label: "说明", value: "内容"), count: 21)
        cases.append((r, "invalid_input"))
        r = DocumentIssuanceTests.request; r.fields[0].value = String(repeating: "很长的内容", count: 80) + "长"
        cases.append((r, "invalid_input"))
        for (request, code) in cases {
            do {
                _ = try await documents.issue(request, actor: "test")
                Issue.record("accepted a bad request expecting \(code)")
            } catch let error as ZeroTripError {
                #expect(error.code.rawValue == code, "\(error)")
            }
        }
        await #expect(try district.tableCounts() == before)
        let count = try await district.services.database.read { db in try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM documents") }
        #expect(count == 0)
    }

    @Test("Offline verification from Certificates/ alone: valid without the register, which it says")
    func offline() async throws {
        let (district, document) = try await Self.issued()
        let verifier = try OfflineTrust.load(certificatesDirectory: district.home.certificatesDirectory)
        #expect(verifier.verifyToken(document.qrContent, now: Date()).result == .valid)
        #expect(verifier.verifyPDF(document.pdf, now: Date()).result == .valid)
    }
}

@Suite("QR token: interoperability with the reference verifier written from docs/qr-token.md")
struct TokenInteropTests {
    @Test("The independent Python verifier accepts our token and URL and recomputes dig from the PDF", .tags(.externalTool), .notInFastLoop)
    func pythonVerifiesOurs() async throws {
        let (district, document) = try await DocumentVerificationTests.issued()
        let pdfURL = district.root.appendingPathComponent("doc.pdf")
        try Data(document.pdf).write(to: pdfURL)
        let certificates = district.home.certificatesDirectory
        for text in [document.record.token, document.qrContent] {
            let output = try ExternalTool.run([
                "python3", ExternalTool.validator("zt_token.py"), "verify",
                "--cert", certificates.appendingPathComponent("departments").path,
                "--root", certificates.appendingPathComponent("root.pem").path, "--pdf", pdfURL.path, text,
            ])
            #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
            #expect(output.stdout.contains("\"valid\""))
        }
    }

    @Test("Every published test vector gets its expected result from our verifier")
    func vectors() throws {
        let directory = ExternalTool.repositoryRoot.appendingPathComponent("Tests/validators/token-vectors")
        func certificates(_ name: String) throws -> [Certificate] {
            try Certificate.parseChain(pemRepresentation: String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
        }
        struct Vector: Decodable {
            var name: String; var text: String; var now: Double; var expected_result: String; var expected_reason: String?
            var certs: [String]; var root: String?
        }
        let vectors = try JSONDecoder().decode([Vector].self, from: Data(contentsOf: directory.appendingPathComponent("vectors.json")))
        #expect(vectors.count >= 40)
        for vector in vectors {
            let verifier = DocumentVerifier(
                root: try certificates(vector.root ?? "root.pem")[0], sealCertificates: try vector.certs.flatMap(certificates))
            let outcome = verifier.verifyToken(vector.text, now: Date(timeIntervalSince1970: vector.now))
            #expect(outcome.result.rawValue == vector.expected_result, "\(vector.name): \(outcome.result) \(String(describing: outcome.reason))")
            #expect(outcome.reason?.code.rawValue == vector.expected_reason, "\(vector.name): \(String(describing: outcome.reason))")
        }
    }
}
