import COpenSSL
import Glibc

/// A self-signed EC P-256 certificate for development, generated with the OpenSSL API on first start and
/// reused afterwards (`dev-cert.pem` and `dev-key.pem`, mode 0600, in the data directory).
public enum DevelopmentCertificate {
    /// Paths of the certificate and key, and whether they were created by this call.
    public struct Files: Sendable {
        public var certificatePath: String
        public var privateKeyPath: String
        public var created: Bool
    }

    /// Returns the existing pair in `directory`, or generates one (valid 825 days, CN=localhost,
    /// subjectAltName localhost, 127.0.0.1, ::1). Creates `directory` if needed.
    public static func ensure(in directory: String) throws -> Files {
        let certificatePath = directory + "/dev-cert.pem"
        let keyPath = directory + "/dev-key.pem"
        if access(certificatePath, R_OK) == 0 && access(keyPath, R_OK) == 0 {
            return Files(certificatePath: certificatePath, privateKeyPath: keyPath, created: false)
        }
        try makeDirectory(directory)
        try generate(certificatePath: certificatePath, keyPath: keyPath)
        return Files(certificatePath: certificatePath, privateKeyPath: keyPath, created: true)
    }

    private static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw TransportError.system(call: "mkdir \(prefix)", errno: errno)
            }
        }
    }

    private static func generate(certificatePath: String, keyPath: String) throws {
        guard let keyContext = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw TransportError.tls(openSSLErrors()) }
        defer { EVP_PKEY_CTX_free(keyContext) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(keyContext) == 1,
              EVP_PKEY_CTX_set_group_name(keyContext, "P-256") == 1,
              EVP_PKEY_generate(keyContext, &key) == 1, let key else {
            throw TransportError.tls("EC key generation failed: \(openSSLErrors())")
        }
        defer { EVP_PKEY_free(key) }

        guard let certificate = X509_new() else { throw TransportError.tls(openSSLErrors()) }
        defer { X509_free(certificate) }
        X509_set_version(certificate, 2)
        var serial = [UInt8](repeating: 0, count: 16)
        RAND_bytes(&serial, 16)
        serial[0] &= 0x7f
        let serialNumber = BN_bin2bn(serial, 16, nil)
        BN_to_ASN1_INTEGER(serialNumber, X509_get_serialNumber(certificate))
        BN_free(serialNumber)
        X509_gmtime_adj(X509_getm_notBefore(certificate), -3600)
        X509_gmtime_adj(X509_getm_notAfter(certificate), 825 * 24 * 3600)
        X509_set_pubkey(certificate, key)
        let name = X509_get_subject_name(certificate)
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, "SketchFace development", -1, -1, 0)
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "localhost", -1, -1, 0)
        X509_set_issuer_name(certificate, name)

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, certificate, certificate, nil, nil, 0)
        for (nid, value) in [(NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"),
                             (NID_basic_constraints, "critical,CA:FALSE"),
                             (NID_key_usage, "critical,digitalSignature"),
                             (NID_ext_key_usage, "serverAuth")] {
            guard let extensionObject = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw TransportError.tls("certificate extension: \(openSSLErrors())")
            }
            X509_add_ext(certificate, extensionObject, -1)
            X509_EXTENSION_free(extensionObject)
        }
        guard X509_sign(certificate, key, EVP_sha256()) > 0 else {
            throw TransportError.tls("certificate signing failed: \(openSSLErrors())")
        }

        let oldMask = umask(0o077)
        defer { umask(oldMask) }
        guard let keyFile = BIO_new_file(keyPath, "w") else { throw TransportError.tls("cannot write \(keyPath): \(openSSLErrors())") }
        let keyWritten = PEM_write_bio_PrivateKey(keyFile, key, nil, nil, 0, nil, nil)
        BIO_free_all(keyFile)
        guard let certificateFile = BIO_new_file(certificatePath, "w") else {
            throw TransportError.tls("cannot write \(certificatePath): \(openSSLErrors())")
        }
        let certificateWritten = PEM_write_bio_X509(certificateFile, certificate)
        BIO_free_all(certificateFile)
        guard keyWritten == 1, certificateWritten == 1 else {
            unlink(keyPath)
            unlink(certificatePath)
            throw TransportError.tls("cannot write development certificate: \(openSSLErrors())")
        }
    }
}
