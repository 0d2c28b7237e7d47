//! A development certificate authority (`probity up --tls`, tests): a CA,
//! server certificates for loopback names, client certificates for
//! agencies and services. Not for production, where each agency's
//! certificates come from the province's own CA.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// A certificate and its private key, both PEM.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The certificate (PEM).
    pub cert: String,
    /// The private key (PKCS#8 PEM).
    pub key: String,
    /// The certificate's SHA-256 fingerprint (hex), for the agency table.
    pub fingerprint: String,
}

/// The development CA: signs server and client certificates.
pub struct DevCa {
    issuer: Issuer<'static, KeyPair>,
    cert: String,
}

impl std::fmt::Debug for DevCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DevCa(..)")
    }
}

fn params_named(common_name: &str, names: &[&str]) -> Result<CertificateParams, String> {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .map_err(|e| e.to_string())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Probity development");
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(365);
    Ok(params)
}

fn ca_params() -> Result<CertificateParams, String> {
    let mut params = params_named("Probity development CA", &[])?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Ok(params)
}

fn pem_fingerprint(der: &[u8]) -> String {
    super::fingerprint(der)
}

impl DevCa {
    /// A new CA with a fresh key.
    pub fn generate() -> Result<Self, String> {
        let key = KeyPair::generate().map_err(|e| e.to_string())?;
        let params = ca_params()?;
        let cert = params.self_signed(&key).map_err(|e| e.to_string())?.pem();
        Ok(Self {
            issuer: Issuer::new(params, key),
            cert,
        })
    }

    /// The CA of `cert` and `key` (PEM), as [`generate`](Self::generate)
    /// made them.
    pub fn load(cert: &str, key: &str) -> Result<Self, String> {
        let key = KeyPair::from_pem(key).map_err(|e| format!("CA key: {e}"))?;
        Ok(Self {
            issuer: Issuer::new(ca_params()?, key),
            cert: cert.to_string(),
        })
    }

    /// The CA certificate (PEM): what clients and servers trust.
    pub fn cert(&self) -> &str {
        &self.cert
    }

    /// The CA's private key (PEM).
    pub fn key(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    fn sign(
        &self,
        common_name: &str,
        names: &[&str],
        usages: Vec<ExtendedKeyUsagePurpose>,
    ) -> Result<Pair, String> {
        let key = KeyPair::generate().map_err(|e| e.to_string())?;
        let mut params = params_named(common_name, names)?;
        params.extended_key_usages = usages;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|e| e.to_string())?;
        Ok(Pair {
            fingerprint: pem_fingerprint(cert.der()),
            cert: cert.pem(),
            key: key.serialize_pem(),
        })
    }

    /// A server certificate for `names` (DNS names or IP addresses); it
    /// also serves as a client certificate, so a service can present it
    /// when it calls another.
    pub fn server(&self, names: &[&str]) -> Result<Pair, String> {
        self.sign(
            names.first().copied().unwrap_or("probity"),
            names,
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
        )
    }

    /// A client certificate named `common_name` (an agency's system).
    pub fn client(&self, common_name: &str) -> Result<Pair, String> {
        self.sign(common_name, &[], vec![ExtendedKeyUsagePurpose::ClientAuth])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loaded_ca_signs_like_the_generated_one() {
        let ca = DevCa::generate().unwrap();
        let again = DevCa::load(ca.cert(), &ca.key()).unwrap();
        let client = again.client("agency-a").unwrap();
        assert_eq!(client.fingerprint.len(), 64);
        assert_eq!(
            super::super::fingerprints_of_pem(client.cert.as_bytes()).unwrap(),
            vec![client.fingerprint.clone()]
        );
        assert!(ca.server(&["localhost", "127.0.0.1"]).is_ok());
    }
}
