public import Foundation
public import ZeroTripDocuments
import ZeroTripCrypto

/// Trust material read from a Certificates/ directory: `root.pem` and `departments/*.pem`, for offline verification.
public enum OfflineTrust {
    /// Builds a verifier from the certificate files under `certificatesDirectory`.
    public static func load(certificatesDirectory: URL) throws -> DocumentVerifier {
        let rootURL = certificatesDirectory.appendingPathComponent("root.pem")
        guard let rootPEM = try? String(contentsOf: rootURL, encoding: .utf8) else {
            throw ZeroTripError(.notInitialized, "no \(rootURL.path); offline verification needs the district root certificate")
        }
        let root = try withCrypto("reading root.pem") { () throws(CryptoError) in try Certificate(pemRepresentation: rootPEM) }
        let directory = certificatesDirectory.appendingPathComponent("departments")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var seals: [Certificate] = []
        for file in files.sorted() where file.hasSuffix(".pem") {
            guard let pem = try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8), pem.utf8.count <= 64 * 1024 else { continue }
            if let certificate = try? Certificate(pemRepresentation: pem) { seals.append(certificate) }
        }
        return DocumentVerifier(root: root, sealCertificates: seals)
    }
}
