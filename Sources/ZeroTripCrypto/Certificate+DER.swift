extension Certificate {
    /// The DER of the issuer `Name` and of the serial-number `INTEGER`, read from the certificate's own
    /// encoding (RFC 5280 §4.1): what CMS `IssuerAndSerialNumber` and ESS `IssuerSerial` carry.
    func issuerAndSerialDER() throws(CryptoError) -> (issuer: [UInt8], serial: [UInt8]) {
        try Self.issuerAndSerialDER(of: derRepresentation)
    }

    /// ``issuerAndSerialDER()`` of a certificate's DER, without parsing the rest.
    static func issuerAndSerialDER(of der: [UInt8]) throws(CryptoError) -> (issuer: [UInt8], serial: [UInt8]) {
        do {
            let certificate = try DER.parse(der[...]).expecting(DER.Tag.sequence, "Certificate")
            guard let tbs = try certificate.children().first?.expecting(DER.Tag.sequence, "TBSCertificate") else {
                throw DER.DecodingError("empty certificate")
            }
            var fields = try tbs.children()
            if fields.first?.tag == DER.Tag.contextConstructed(0) { fields.removeFirst() }  // version
            guard fields.count >= 3 else { throw DER.DecodingError("TBSCertificate too short") }
            let serial = try fields[0].expecting(DER.Tag.integer, "serialNumber")
            let issuer = try fields[2].expecting(DER.Tag.sequence, "issuer")
            return (Array(issuer.encoded), Array(serial.encoded))
        } catch {
            throw CryptoError(.malformedCertificate, "certificate structure: \(error)")
        }
    }
}
