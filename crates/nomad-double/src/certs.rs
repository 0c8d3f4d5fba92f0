//! Test certificates shaped like `nomad tls ca create` and `nomad tls cert create`
//! (`command/tls_cert_create.go` `recordPreparation`, `helper/tlsutil/generate.go`
//! `GenerateCA`, `GenerateCert`, v1.10.5 to v2.0.5), made when a test runs so that
//! nothing that can expire is committed. See docs/nomad-live.md §6.
//!
//! As Nomad makes them: ECDSA P-256 keys, 128-bit random serials, SHA-256 of the
//! SubjectPublicKeyInfo as key identifiers; a CA named `Nomad Agent CA <serial>` with
//! Nomad's subject, `CertSign | CRLSign | DigitalSignature`; leaves named
//! `<role>.<region>.nomad` with that name and `localhost` as DNS names (and 127.0.0.1 for
//! `server` and `client`, not `cli`), `DigitalSignature | KeyEncipherment`, and both
//! `serverAuth` and `clientAuth`. Unlike Nomad: valid from an hour ago for 30 days (Nomad:
//! from now, 5 years for the CA and 1 year for leaves), keys written as PKCS#8
//! (`PRIVATE KEY`, which Nomad also reads) where Nomad writes SEC1 (`EC PRIVATE KEY`), and
//! the file names below (Nomad's: `nomad-agent-ca.pem`, `global-server-nomad.pem`, ...).

use rcgen::{
    BasicConstraints, CertificateParams, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod,
    KeyPair, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

/// One leaf certificate's files.
#[derive(Clone, Debug)]
pub struct LeafPaths {
    /// `<name>.pem`
    pub cert: PathBuf,
    /// `<name>-key.pem` (PKCS#8, mode 0600)
    pub key: PathBuf,
    /// `<name>.spki`: [`LeafPaths::spki`] on one line, no newline.
    pub spki_file: PathBuf,
    /// base64(SHA-256(SubjectPublicKeyInfo DER)), what Chromium's
    /// `--ignore-certificate-errors-spki-list` takes.
    pub spki: String,
}

/// What [`generate`] wrote.
#[derive(Clone, Debug)]
pub struct CertPaths {
    /// `ca.pem`
    pub ca: PathBuf,
    /// `ca-key.pem`
    pub ca_key: PathBuf,
    /// `server.pem`: as `nomad tls cert create -server` (`server.<region>.nomad`, `localhost`, 127.0.0.1).
    pub server: LeafPaths,
    /// `client.pem`: as `-client` (`client.<region>.nomad`, `localhost`, 127.0.0.1).
    pub client: LeafPaths,
    /// `cli.pem`: as `-cli` (`cli.<region>.nomad`, `localhost`).
    pub cli: LeafPaths,
    /// Leaves asked for with [`generate_with`] (`--name`), in order.
    pub extra: Vec<LeafPaths>,
}

/// Write a CA and the server, client and CLI certificates of `region` into `dir` (created
/// if missing; existing files of these names are replaced).
pub fn generate(dir: &Path, region: &str) -> Result<CertPaths, String> {
    generate_with(dir, region, &[])
}

/// [`generate`], plus one leaf per `(name, SANs)` signed by the same CA, written as
/// `<name>.pem`, `<name>-key.pem`, `<name>.spki`; each SAN is an IP address or a DNS name.
pub fn generate_with(dir: &Path, region: &str, extra: &[(String, Vec<String>)]) -> Result<CertPaths, String> {
    if region.is_empty() || !region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("region {region:?}: letters, digits and '-' only"));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let now = OffsetDateTime::now_utc();
    let (not_before, not_after) = (now - Duration::hours(1), now + Duration::days(30));

    let ca_key = new_key()?;
    let serial = serial()?;
    let mut ca = CertificateParams::default();
    ca.serial_number = Some(SerialNumber::from_slice(&serial.to_be_bytes()));
    ca.not_before = not_before;
    ca.not_after = not_after;
    ca.distinguished_name = rcgen::DistinguishedName::new();
    // GenerateCA's subject when no custom field is given.
    // In Go's order (crypto/x509/pkix `Name.ToRDNSequence`): C, ST, L, street, postal code,
    // O, OU, CN.
    let subject = [
        (DnType::CountryName, "US".to_owned()),
        (DnType::StateOrProvinceName, "CA".into()),
        (DnType::LocalityName, "San Francisco".into()),
        (DnType::CustomDnType(vec![2, 5, 4, 9]), "101 Second Street".into()),
        (DnType::CustomDnType(vec![2, 5, 4, 17]), "94105".into()),
        (DnType::OrganizationName, "HashiCorp Inc.".into()),
        (DnType::OrganizationalUnitName, "Nomad".into()),
        (DnType::CommonName, format!("Nomad Agent CA {serial}")),
    ];
    for (ty, value) in subject {
        ca.distinguished_name.push(ty, printable(value));
    }
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    ca.key_identifier_method = KeyIdMethod::PreSpecified(sha256(&ca_key.subject_public_key_info()).to_vec());
    ca.use_authority_key_identifier_extension = true;
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let paths_ca = write(dir, "ca.pem", &ca_cert.pem(), false)?;
    let paths_ca_key = write(dir, "ca-key.pem", &ca_key.serialize_pem(), true)?;
    let issuer = Issuer::new(ca, ca_key);

    let both = [ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    let role = |role: &str| {
        let name = format!("{role}.{region}.nomad");
        let mut sans = vec![name.clone(), "localhost".to_owned()];
        if role != "cli" {
            sans.push("127.0.0.1".into());
        }
        let mut eku = both.to_vec();
        if role == "cli" {
            eku.reverse(); // recordPreparation lists clientAuth first for -cli.
        }
        leaf(dir, role, &name, &sans, eku, &issuer, (not_before, not_after))
    };
    let (server, client, cli) = (role("server")?, role("client")?, role("cli")?);
    let mut extras = Vec::new();
    for (name, sans) in extra {
        let ok = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && !name.starts_with('.')
            && !["ca", "server", "client", "cli"].contains(&name.as_str());
        if !ok {
            return Err(format!("--name {name:?}: a file name of letters, digits, '.', '_' and '-', not ca, server, client or cli"));
        }
        let sans = if sans.is_empty() { vec![name.clone()] } else { sans.clone() };
        extras.push(leaf(dir, name, &sans[0], &sans, both.to_vec(), &issuer, (not_before, not_after))?);
    }
    Ok(CertPaths { ca: paths_ca, ca_key: paths_ca_key, server, client, cli, extra: extras })
}

fn leaf(
    dir: &Path,
    file: &str,
    common_name: &str,
    sans: &[String],
    eku: Vec<ExtendedKeyUsagePurpose>,
    issuer: &Issuer<'_, KeyPair>,
    (not_before, not_after): (OffsetDateTime, OffsetDateTime),
) -> Result<LeafPaths, String> {
    let key = new_key()?;
    let mut p = CertificateParams::default();
    p.serial_number = Some(SerialNumber::from_slice(&serial()?.to_be_bytes()));
    p.not_before = not_before;
    p.not_after = not_after;
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, printable(common_name.to_owned()));
    p.subject_alt_names = sans
        .iter()
        .map(|s| match s.parse() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => s.clone().try_into().map(SanType::DnsName).map_err(|e| format!("SAN {s:?}: {e}")),
        })
        .collect::<Result<_, _>>()?;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    p.extended_key_usages = eku;
    let spki_hash = sha256(&key.subject_public_key_info());
    p.key_identifier_method = KeyIdMethod::PreSpecified(spki_hash.to_vec());
    p.use_authority_key_identifier_extension = true;
    let cert = p.signed_by(&key, issuer).map_err(err)?;
    let spki = base64(&spki_hash);
    Ok(LeafPaths {
        cert: write(dir, &format!("{file}.pem"), &cert.pem(), false)?,
        key: write(dir, &format!("{file}-key.pem"), &key.serialize_pem(), true)?,
        spki_file: write(dir, &format!("{file}.spki"), &spki, false)?,
        spki,
    })
}

/// Go's asn1 writes a name's string as PrintableString when it can, else UTF8String.
fn printable(s: String) -> DnValue {
    match s.as_str().try_into() {
        Ok(p) => DnValue::PrintableString(p),
        Err(_) => DnValue::Utf8String(s),
    }
}

fn err(e: impl std::fmt::Display) -> String {
    format!("cannot make the certificates: {e}")
}

fn new_key() -> Result<KeyPair, String> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(err)
}

/// `GenerateSerialNumber`: uniform in [0, 2^128).
fn serial() -> Result<u128, String> {
    let mut b = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
        .map_err(|_| err("no randomness"))?;
    Ok(u128::from_be_bytes(b))
}

fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Standard base64 with padding (RFC 4648 §4).
pub(crate) fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn write(dir: &Path, name: &str, text: &str, secret: bool) -> Result<PathBuf, String> {
    use std::io::Write;
    let path = dir.join(name);
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    // Keys as Nomad writes them: 0600 (`file.WriteAtomicWithPerms`), certificates 0666 less umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(if secret { 0o600 } else { 0o666 });
        let mut f = options.open(&path).map_err(fail)?;
        if secret {
            f.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
        }
        f.write_all(text.as_bytes()).map_err(fail)?;
    }
    #[cfg(not(unix))]
    {
        let _ = secret;
        options.open(&path).and_then(|mut f| f.write_all(text.as_bytes())).map_err(fail)?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_is_rfc_4648() {
        // RFC 4648 §10's test vectors.
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(super::base64(plain.as_bytes()), encoded);
        }
    }
}
