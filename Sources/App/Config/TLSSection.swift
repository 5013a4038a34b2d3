/// `tls`: the certificate of the https listener.
public struct TLSSection: ConfigSection {
    public static let key = "tls"
    /// PEM certificate chain path; nil means a generated development certificate in the data directory.
    public var certificate: String?
    /// PEM private key path; set exactly when `certificate` is.
    public var privateKey: String?

    public init(from object: ConfigObject) throws {
        certificate = try object.optionalString("certificate")
        privateKey = try object.optionalString("private_key")
        if certificate != nil && privateKey == nil {
            throw object.error("private_key", "must be set when tls.certificate is set")
        }
        if privateKey != nil && certificate == nil {
            throw object.error("certificate", "must be set when tls.private_key is set")
        }
    }
}
