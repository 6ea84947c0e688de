internal import CPKCS11

/// A P-256 private key held in a PKCS#11 token: it signs with `C_Sign` (`CKM_ECDSA` over a SHA-256 digest computed
/// here) and never leaves the token.
///
/// Found by the object label or id of a `pkcs11:` URI; its public key is read from the matching public key object
/// once, when the key is opened. Wrap it in a ``PrivateKey`` (``PrivateKey/init(token:)``) to seal documents and sign
/// tokens exactly as with a key file.
public final class TokenKey: Sendable {
    /// The token holding the key.
    public let token: PKCS11Token
    /// The key's object label (`object=`).
    public let label: String
    /// The key's object id (`id=`).
    public let id: [UInt8]
    /// The matching public key.
    public let publicKey: PublicKey

    private init(token: PKCS11Token, label: String, id: [UInt8], publicKey: PublicKey) {
        self.token = token
        self.label = label
        self.id = id
        self.publicKey = publicKey
    }

    /// The key's full URI (module path included, no PIN): what a district stores to find it again.
    public var uri: PKCS11URI {
        var uri = token.uri
        uri.object = label
        uri.id = id
        uri.type = "private"
        return uri
    }

    /// The DER `ECParameters` of P-256 (the named curve's OID), as `CKA_EC_PARAMS` holds it.
    static let p256Parameters: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]

    /// Generates a P-256 key pair inside `token` under `label` and `id`: the private key is sensitive and
    /// non-extractable (`CKA_SENSITIVE`, `CKA_EXTRACTABLE` false), usable only to sign.
    public static func generate(in token: PKCS11Token, label: String, id: [UInt8]) throws(CryptoError) -> TokenKey {
        try checkName(label, id)
        return try token.withSession { session throws(CryptoError) in
            let module = token.module
            let publicTemplate = publicKeyTemplate(label: label, id: id)
            let privateTemplate = privateKeyTemplate(label: label, id: id)
            var publicAttributes = publicTemplate.attributes
            var privateAttributes = privateTemplate.attributes
            var mechanism = CK_MECHANISM(mechanism: CKM_EC_KEY_PAIR_GEN, pParameter: nil, ulParameterLen: 0)
            var publicHandle: CK_OBJECT_HANDLE = 0
            var privateHandle: CK_OBJECT_HANDLE = 0
            try module.check(
                module.functions.pointee.C_GenerateKeyPair!(
                    session, &mechanism, &publicAttributes, UInt(publicAttributes.count), &privateAttributes, UInt(privateAttributes.count),
                    &publicHandle, &privateHandle), "C_GenerateKeyPair")
            let publicKey = try Self.publicKey(of: publicHandle, session: session, module: module)
            return TokenKey(token: token, label: label, id: id, publicKey: publicKey)
        }
    }

    /// Moves a P-256 key from memory into `token` under `label` and `id`: the private key becomes a sensitive,
    /// non-extractable token object (the token cannot mark it "never extractable" or "local": it was a file before),
    /// beside its public key. The caller deletes the file once the district's register names the token key.
    public static func importing(_ key: PrivateKey, into token: PKCS11Token, label: String, id: [UInt8]) throws(CryptoError) -> TokenKey {
        try checkName(label, id)
        let spki = key.publicKey.derRepresentation
        let privateTemplate = privateKeyTemplate(label: label, id: id)
        privateTemplate.add(CKA_CLASS, ulong: UInt(CKO_PRIVATE_KEY))
        privateTemplate.add(CKA_KEY_TYPE, ulong: UInt(CKK_EC))
        privateTemplate.add(CKA_EC_PARAMS, bytes: p256Parameters)
        var scalar = try key.p256Scalar
        privateTemplate.add(CKA_VALUE, bytes: scalar)
        for index in scalar.indices { scalar[index] = 0 }
        let publicTemplate = publicKeyTemplate(label: label, id: id)
        publicTemplate.add(CKA_CLASS, ulong: UInt(CKO_PUBLIC_KEY))
        publicTemplate.add(CKA_KEY_TYPE, ulong: UInt(CKK_EC))
        publicTemplate.add(CKA_EC_POINT, bytes: [0x04, 0x41] + spki.suffix(65))
        return try token.withSession { session throws(CryptoError) in
            let module = token.module
            var privateAttributes = privateTemplate.attributes
            var publicAttributes = publicTemplate.attributes
            var privateHandle: CK_OBJECT_HANDLE = 0
            var publicHandle: CK_OBJECT_HANDLE = 0
            try module.check(
                module.functions.pointee.C_CreateObject!(session, &privateAttributes, UInt(privateAttributes.count), &privateHandle), "C_CreateObject"
            )
            let madePublic = module.functions.pointee.C_CreateObject!(session, &publicAttributes, UInt(publicAttributes.count), &publicHandle)
            if madePublic != CKR_OK { _ = module.functions.pointee.C_DestroyObject!(session, privateHandle) }
            try module.check(madePublic, "C_CreateObject")
            let publicKey = try Self.publicKey(of: publicHandle, session: session, module: module)
            guard publicKey.derRepresentation == spki else {
                throw CryptoError(.backendFailure, "the token's copy of the key has another public key")
            }
            return TokenKey(token: token, label: label, id: id, publicKey: publicKey)
        }
    }

    private static func checkName(_ label: String, _ id: [UInt8]) throws(CryptoError) {
        guard !label.isEmpty, label.utf8.count <= 64, !id.isEmpty, id.count <= 64 else {
            throw CryptoError(.invalidArgument, "a token key needs a label and an id of 1–64 bytes")
        }
    }

    /// A seal's private key: on the token, private, sensitive, never to leave it, able to sign and nothing else.
    private static func privateKeyTemplate(label: String, id: [UInt8]) -> AttributeTemplate {
        let template = AttributeTemplate()
        template.add(CKA_TOKEN, bool: true)
        template.add(CKA_PRIVATE, bool: true)
        template.add(CKA_SENSITIVE, bool: true)
        template.add(CKA_EXTRACTABLE, bool: false)
        template.add(CKA_SIGN, bool: true)
        template.add(CKA_DERIVE, bool: false)
        template.add(CKA_DECRYPT, bool: false)
        template.add(CKA_UNWRAP, bool: false)
        template.add(CKA_LABEL, bytes: Array(label.utf8))
        template.add(CKA_ID, bytes: id)
        return template
    }

    /// Its public key: on the token, for verifying only, on P-256.
    private static func publicKeyTemplate(label: String, id: [UInt8]) -> AttributeTemplate {
        let template = AttributeTemplate()
        template.add(CKA_TOKEN, bool: true)
        template.add(CKA_VERIFY, bool: true)
        template.add(CKA_ENCRYPT, bool: false)
        template.add(CKA_WRAP, bool: false)
        template.add(CKA_EC_PARAMS, bytes: p256Parameters)
        template.add(CKA_LABEL, bytes: Array(label.utf8))
        template.add(CKA_ID, bytes: id)
        return template
    }

    /// Opens the key `uri` names (by `object=` label and/or `id=`) in `token`. Throws
    /// ``CryptoError/Code/tokenKeyNotFound`` when the token holds no such private key (or more than one).
    public static func open(_ uri: PKCS11URI, in token: PKCS11Token) throws(CryptoError) -> TokenKey {
        guard uri.object != nil || uri.id != nil else { throw CryptoError(.invalidArgument, "the pkcs11: URI names no object= or id=") }
        return try token.withSession { session throws(CryptoError) in
            let module = token.module
            let privateHandles = try find(CKO_PRIVATE_KEY, label: uri.object, id: uri.id, session: session, module: module)
            guard privateHandles.count == 1 else {
                throw CryptoError(
                    .tokenKeyNotFound,
                    privateHandles.isEmpty ? "the token holds no private key \(uri)" : "\(privateHandles.count) private keys match \(uri)")
            }
            let label = String(decoding: try attribute(CKA_LABEL, of: privateHandles[0], session: session, module: module), as: UTF8.self)
            let id = try attribute(CKA_ID, of: privateHandles[0], session: session, module: module)
            guard let publicHandle = try find(CKO_PUBLIC_KEY, label: nil, id: id, session: session, module: module).first else {
                throw CryptoError(.tokenKeyNotFound, "the token holds no public key beside \(uri)")
            }
            return TokenKey(token: token, label: label, id: id, publicKey: try publicKey(of: publicHandle, session: session, module: module))
        }
    }

    /// Signs a SHA-256 digest: the fixed-width `r ‖ s` the token returns, as a ``Signature``.
    func signature(forDigest digest: [UInt8]) throws(CryptoError) -> Signature {
        guard digest.count == 32 else { throw CryptoError(.invalidArgument, "digest must be 32 bytes") }
        let raw = try token.withSession { session throws(CryptoError) -> [UInt8] in
            let module = token.module
            let handle = try privateHandle(session: session)
            var mechanism = CK_MECHANISM(mechanism: CKM_ECDSA, pParameter: nil, ulParameterLen: 0)
            try module.check(module.functions.pointee.C_SignInit!(session, &mechanism, handle), "C_SignInit")
            var input = digest
            var output = [UInt8](repeating: 0, count: 132)
            var length = UInt(output.count)
            try module.check(module.functions.pointee.C_Sign!(session, &input, UInt(input.count), &output, &length), "C_Sign")
            return Array(output.prefix(Int(length)))
        }
        return try Signature(rawRepresentation: raw, algorithm: .p256)
    }

    /// Whether the token marks the private key sensitive and non-extractable (what a security officer checks).
    public func isNonExtractable() throws(CryptoError) -> Bool {
        try token.withSession { session throws(CryptoError) in
            let handle = try privateHandle(session: session)
            let sensitive = try Self.attribute(CKA_SENSITIVE, of: handle, session: session, module: token.module)
            let extractable = try Self.attribute(CKA_EXTRACTABLE, of: handle, session: session, module: token.module)
            return sensitive == [1] && extractable == [0]
        }
    }

    /// Destroys the key pair in the token (a revoked key after its overlap). Irreversible.
    public func destroy() throws(CryptoError) {
        try token.withSession { session throws(CryptoError) in
            let module = token.module
            for objectClass in [CKO_PRIVATE_KEY, CKO_PUBLIC_KEY] {
                for handle in try Self.find(objectClass, label: nil, id: id, session: session, module: module) {
                    try module.check(module.functions.pointee.C_DestroyObject!(session, handle), "C_DestroyObject")
                }
            }
        }
    }

    /// The private key's handle in `session` (handles are per session in general, so it is looked up each time).
    private func privateHandle(session: CK_SESSION_HANDLE) throws(CryptoError) -> CK_OBJECT_HANDLE {
        guard let handle = try Self.find(CKO_PRIVATE_KEY, label: nil, id: id, session: session, module: token.module).first else {
            throw CryptoError(.tokenKeyNotFound, "the private key \(label) is no longer in the token")
        }
        return handle
    }

    private static func find(
        _ objectClass: CK_OBJECT_CLASS, label: String?, id: [UInt8]?, session: CK_SESSION_HANDLE, module: PKCS11Module
    ) throws(CryptoError) -> [CK_OBJECT_HANDLE] {
        var objectClass = objectClass
        var labelBytes = Array((label ?? "").utf8)
        var idBytes = id ?? []
        let rv = withUnsafeMutablePointer(to: &objectClass) { objectClass in
            labelBytes.withUnsafeMutableBytes { labelBuffer in
                idBytes.withUnsafeMutableBytes { idBuffer in
                    var template = [CK_ATTRIBUTE(type: CKA_CLASS, pValue: objectClass, ulValueLen: UInt(MemoryLayout<CK_OBJECT_CLASS>.size))]
                    if label != nil {
                        template.append(CK_ATTRIBUTE(type: CKA_LABEL, pValue: labelBuffer.baseAddress, ulValueLen: UInt(labelBuffer.count)))
                    }
                    if id != nil { template.append(CK_ATTRIBUTE(type: CKA_ID, pValue: idBuffer.baseAddress, ulValueLen: UInt(idBuffer.count))) }
                    return module.functions.pointee.C_FindObjectsInit!(session, &template, UInt(template.count))
                }
            }
        }
        try module.check(rv, "C_FindObjectsInit")
        var handles: [CK_OBJECT_HANDLE] = []
        var batch = [CK_OBJECT_HANDLE](repeating: 0, count: 16)
        var count: UInt = 0
        repeat {
            let found = module.functions.pointee.C_FindObjects!(session, &batch, UInt(batch.count), &count)
            guard found == CKR_OK else {
                _ = module.functions.pointee.C_FindObjectsFinal!(session)
                try module.check(found, "C_FindObjects")
                return []
            }
            handles += batch.prefix(Int(count))
        } while count == batch.count && handles.count < 1024
        try module.check(module.functions.pointee.C_FindObjectsFinal!(session), "C_FindObjectsFinal")
        return handles
    }

    private static func attribute(
        _ type: CK_ATTRIBUTE_TYPE, of handle: CK_OBJECT_HANDLE, session: CK_SESSION_HANDLE, module: PKCS11Module
    ) throws(CryptoError) -> [UInt8] {
        var probe = CK_ATTRIBUTE(type: type, pValue: nil, ulValueLen: 0)
        try module.check(module.functions.pointee.C_GetAttributeValue!(session, handle, &probe, 1), "C_GetAttributeValue")
        guard probe.ulValueLen != UInt.max, probe.ulValueLen <= 4096 else { throw CryptoError(.backendFailure, "a token attribute is unavailable") }
        var value = [UInt8](repeating: 0, count: Int(probe.ulValueLen))
        let rv = value.withUnsafeMutableBytes { buffer in
            var read = CK_ATTRIBUTE(type: type, pValue: buffer.baseAddress, ulValueLen: UInt(buffer.count))
            return module.functions.pointee.C_GetAttributeValue!(session, handle, &read, 1)
        }
        try module.check(rv, "C_GetAttributeValue")
        return value
    }

    /// The SubjectPublicKeyInfo of a P-256 public key object, from its `CKA_EC_POINT` (a DER OCTET STRING holding the
    /// uncompressed point, or the bare point from modules that skip the wrapping).
    private static func publicKey(of handle: CK_OBJECT_HANDLE, session: CK_SESSION_HANDLE, module: PKCS11Module) throws(CryptoError)
        -> PublicKey
    {
        guard try attribute(CKA_EC_PARAMS, of: handle, session: session, module: module) == p256Parameters else {
            throw CryptoError(.unsupportedAlgorithm, "the token key is not on P-256")
        }
        var point = try attribute(CKA_EC_POINT, of: handle, session: session, module: module)
        if point.count == 67, point[0] == 0x04, point[1] == 0x41 { point = Array(point.dropFirst(2)) }
        guard point.count == 65, point[0] == 0x04 else {
            throw CryptoError(.malformedKey, "the token's public point is not an uncompressed P-256 point")
        }
        let algorithm: [UInt8] =
            [
                0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01,
            ] + p256Parameters
        let spki: [UInt8] = [0x30, 0x59] + algorithm + [0x03, 0x42, 0x00] + point
        return try PublicKey(derRepresentation: spki)
    }
}

/// A PKCS#11 attribute template that owns its values' memory for as long as it lives, so a template can be built in
/// steps and handed to the token without nesting a closure per value. Values are zeroed when it goes (a private
/// scalar passes through one).
final class AttributeTemplate {
    private var buffers: [UnsafeMutableRawBufferPointer] = []
    /// The attributes, pointing into this template's memory.
    private(set) var attributes: [CK_ATTRIBUTE] = []

    func add(_ type: CK_ATTRIBUTE_TYPE, bytes: [UInt8]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 8)
        buffer.copyBytes(from: bytes)
        buffers.append(buffer)
        attributes.append(CK_ATTRIBUTE(type: type, pValue: buffer.baseAddress, ulValueLen: UInt(bytes.count)))
    }

    func add(_ type: CK_ATTRIBUTE_TYPE, bool: Bool) { add(type, bytes: [bool ? UInt8(CK_TRUE) : UInt8(CK_FALSE)]) }

    func add(_ type: CK_ATTRIBUTE_TYPE, ulong: UInt) { add(type, bytes: withUnsafeBytes(of: ulong) { Array($0) }) }

    deinit {
        for buffer in buffers {
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            buffer.deallocate()
        }
    }
}
