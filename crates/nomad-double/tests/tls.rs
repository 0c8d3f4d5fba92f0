//! TLS mode: the double as an agent with `tls { http = true }` and `verify_https_client`,
//! talked to with a small blocking rustls client. The certificates are made when the tests
//! run (`nomad_double::certs`), under Cargo's per-target temporary folder.

use nomad_double::certs::{self, CertPaths};
use nomad_double::{DoubleServer, Options};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{AlertDescription, ClientConfig, ClientConnection, ProtocolVersion, RootCertStore, StreamOwned};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

fn tmp(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("nomad-double-tls-{}-{name}", std::process::id()))
}

/// The cluster's certificates, and those of another CA that the double does not trust.
fn certs() -> &'static (CertPaths, CertPaths) {
    static CERTS: OnceLock<(CertPaths, CertPaths)> = OnceLock::new();
    CERTS.get_or_init(|| {
        let ours = certs::generate(&tmp("ours"), "global").expect("certificates");
        let theirs = certs::generate(&tmp("theirs"), "global").expect("other certificates");
        (ours, theirs)
    })
}

fn start_with(f: impl FnOnce(&mut Options)) -> DoubleServer {
    let c = &certs().0;
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/demo");
    let mut o = Options::new(demo, "127.0.0.1:0");
    o.tls_cert = Some(c.server.cert.clone());
    o.tls_key = Some(c.server.key.clone());
    o.tls_client_ca = Some(c.ca.clone());
    f(&mut o);
    DoubleServer::start(o).expect("the double starts in TLS mode")
}

/// A client that trusts `ca` and presents `identity` (certificate, key), if any.
fn client(
    ca: &Path,
    identity: Option<(&Path, &Path)>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = CertificateDer::pem_file_iter(cert).unwrap().map(Result::unwrap).collect();
            builder.with_client_auth_cert(chain, PrivateKeyDer::from_pem_file(key).unwrap()).unwrap()
        }
    };
    // As browsers do; Nomad's listener answers none.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

const BOTH: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

/// The CLI's certificate, the cluster's CA.
fn cli() -> Arc<ClientConfig> {
    let c = &certs().0;
    client(&c.ca, Some((&c.cli.cert, &c.cli.key)), BOTH)
}

type Tls = StreamOwned<ClientConnection, TcpStream>;

fn connect(s: &DoubleServer, config: Arc<ClientConfig>) -> Tls {
    let name = ServerName::IpAddress(s.addr().ip().into());
    let conn = ClientConnection::new(config, name).unwrap();
    StreamOwned::new(conn, TcpStream::connect(s.addr()).unwrap())
}

/// Send one request on `tls` (nothing is read).
fn send(tls: &mut Tls, method: &str, path: &str) -> std::io::Result<()> {
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tls.write_all(req.as_bytes())?;
    tls.flush()
}

/// The status and de-chunked body of a `Connection: close` answer.
fn answer(tls: &mut Tls) -> std::io::Result<(u16, String)> {
    let mut raw = Vec::new();
    tls.read_to_end(&mut raw)?;
    let text = String::from_utf8(raw).expect("a text answer");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    Ok((status, if chunked { dechunk(body) } else { body.to_owned() }))
}

fn dechunk(mut raw: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = raw.split_once("\r\n").expect("a chunk size line");
        let size = usize::from_str_radix(size.trim(), 16).expect("hex size");
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        raw = &rest[size + 2..];
    }
}

fn request(
    s: &DoubleServer,
    config: Arc<ClientConfig>,
    method: &str,
    path: &str,
) -> std::io::Result<(u16, String)> {
    let mut tls = connect(s, config);
    send(&mut tls, method, path)?;
    answer(&mut tls)
}

fn json(s: &DoubleServer, method: &str, path: &str) -> Value {
    let (status, body) = request(s, cli(), method, path).expect("a TLS answer");
    assert_eq!(status, 200, "{method} {path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The error of a request expected to fail (an answer is summed up, not printed).
fn failed(r: std::io::Result<(u16, String)>) -> std::io::Error {
    match r {
        Ok((status, body)) => panic!("the TLS handshake succeeded: {status}, {} bytes", body.len()),
        Err(e) => e,
    }
}

/// The TLS alert the double sent, from a failed request.
fn alert(r: std::io::Result<(u16, String)>) -> AlertDescription {
    let e = failed(r);
    match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::AlertReceived(a)) => *a,
        _ => panic!("not a TLS alert: {e:?}"),
    }
}

#[test]
fn a_client_certificate_of_the_cluster_reads_allocations_over_https() {
    let s = start_with(|_| {});
    assert!(s.url().starts_with("https://127.0.0.1:"), "{}", s.url());
    let c = &certs().0;
    for identity in [&c.cli, &c.client] {
        let config = client(&c.ca, Some((&identity.cert, &identity.key)), BOTH);
        let mut tls = connect(&s, config);
        send(&mut tls, "GET", "/v1/allocations").unwrap();
        assert_eq!(tls.conn.protocol_version(), Some(ProtocolVersion::TLSv1_3));
        // Nomad's listener sets no NextProtos: no ALPN answer, so HTTP/1.1.
        assert_eq!(tls.conn.alpn_protocol(), None);
        let (status, body) = answer(&mut tls).unwrap();
        assert_eq!(status, 200);
        let list: Value = serde_json::from_str(&body).unwrap();
        assert!(!list.as_array().expect("a JSON list").is_empty());
    }
}

#[test]
fn tls_1_2_is_accepted_as_nomads_default_minimum() {
    let s = start_with(|_| {});
    let c = &certs().0;
    let config = client(&c.ca, Some((&c.cli.cert, &c.cli.key)), &[&rustls::version::TLS12]);
    let mut tls = connect(&s, config);
    send(&mut tls, "GET", "/v1/allocations?per_page=1").unwrap();
    assert_eq!(tls.conn.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    assert_eq!(answer(&mut tls).unwrap().0, 200);
}

#[test]
fn without_a_client_certificate_the_handshake_ends_with_certificate_required() {
    let s = start_with(|_| {});
    let c = &certs().0;
    // TLS 1.3: Go's crypto/tls sends certificate_required (processCertsFromClient).
    let r = request(&s, client(&c.ca, None, BOTH), "GET", "/v1/allocations");
    assert_eq!(alert(r), AlertDescription::CertificateRequired);
    // Without --tls-client-ca no certificate is asked for.
    let open = start_with(|o| o.tls_client_ca = None);
    let (status, _) = request(&open, client(&c.ca, None, BOTH), "GET", "/v1/allocations").unwrap();
    assert_eq!(status, 200);
    assert_eq!(json(&s, "GET", "/_double/stats")["handshakes_failed"], 1);
}

#[test]
fn a_client_certificate_of_another_ca_is_refused_as_unknown() {
    let s = start_with(|_| {});
    let (ours, theirs) = certs();
    let config = client(&ours.ca, Some((&theirs.cli.cert, &theirs.cli.key)), BOTH);
    // Go sends unknown_ca for an x509.UnknownAuthorityError; rustls the same.
    assert_eq!(alert(request(&s, config, "GET", "/v1/allocations")), AlertDescription::UnknownCA);
    // And a client that does not trust the double's CA refuses the double.
    let wrong_ca = client(&theirs.ca, Some((&ours.cli.cert, &ours.cli.key)), BOTH);
    let e = failed(request(&s, wrong_ca, "GET", "/v1/allocations"));
    assert!(e.to_string().contains("UnknownIssuer"), "{e}");
}

#[test]
fn plain_http_on_the_tls_port_gets_gos_400_and_a_close() {
    let s = start_with(|_| {});
    let plain = |bytes: &[u8]| {
        let mut tcp = TcpStream::connect(s.addr()).unwrap();
        tcp.write_all(bytes).unwrap();
        let mut got = Vec::new();
        tcp.read_to_end(&mut got).unwrap();
        got
    };
    let expected: &[u8] =
        b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
    for start in ["GET /v1/allocations", "HEAD /", "POST /_double/reset", "PUT /x", "OPTIONS /v1/allocations"]
    {
        let got = plain(format!("{start} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes());
        assert_eq!(got, expected, "{start}: {:?}", String::from_utf8_lossy(&got));
    }
    assert_eq!(nomad_double::PLAIN_HTTP_ANSWER, expected);
    // Other starts are not in tlsRecordHeaderLooksLikeHTTP: closed with nothing written.
    for start in ["DELETE /v1/allocations HTTP/1.1\r\n\r\n", "GET http://x/ HTTP/1.1\r\n\r\n", "hello"] {
        assert_eq!(plain(start.as_bytes()), b"", "{start:?}");
    }
    let stats = json(&s, "GET", "/_double/stats");
    assert_eq!(
        (stats["plain_http_refused"].as_u64(), stats["handshakes_failed"].as_u64()),
        (Some(5), Some(3))
    );
}

/// Poll `GET /_double/stats` until `ok` holds (each poll is its own connection).
fn stats_until(s: &DoubleServer, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        let v = json(s, "GET", "/_double/stats");
        if ok(&v) {
            return v;
        }
        assert!(Instant::now() < give_up, "never {what}: {v}");
        std::thread::yield_now();
    }
}

#[test]
fn stats_count_held_requests_and_tls_connections() {
    let s = start_with(|_| {});
    let id = json(&s, "GET", "/v1/allocations?per_page=1")[0]["ID"].as_str().unwrap().to_owned();
    json(&s, "POST", "/_double/stats/reset");
    let index = json(&s, "GET", "/_double/index")["Index"].as_u64().unwrap();
    let mut held: Vec<Tls> = (0..3)
        .map(|_| {
            let mut tls = connect(&s, cli());
            send(&mut tls, "GET", &format!("/v1/allocations?index={index}&wait=30s")).unwrap();
            tls
        })
        .collect();
    let v = stats_until(&s, "3 in flight", |v| v["in_flight"] == 3);
    assert!(v["peak_in_flight"].as_u64().unwrap() >= 3, "{v}");
    // The three held, and the poll's own.
    assert!(v["open_connections"].as_u64().unwrap() >= 4, "{v}");
    assert!(v["peak_connections"].as_u64().unwrap() >= 4, "{v}");
    assert!(v["connections_total"].as_u64().unwrap() >= 4, "{v}");

    // An event stream is in flight while it is open; /_double requests never are.
    let mut stream = connect(&s, cli());
    send(&mut stream, "GET", "/v1/event/stream?topic=Allocation").unwrap();
    let v = stats_until(&s, "the stream in flight", |v| v["in_flight"] == 4);
    assert_eq!(v["peak_in_flight"], 4);

    // Reset: peaks to the current values, totals to 0.
    let v = json(&s, "POST", "/_double/stats/reset");
    assert_eq!((v["in_flight"].as_u64(), v["peak_in_flight"].as_u64()), (Some(4), Some(4)));
    assert_eq!(v["connections_total"], 0);

    // A change answers the held queries; the stream goes on.
    json(&s, "POST", &format!("/_double/alloc/{id}/fail"));
    for tls in &mut held {
        assert_eq!(answer(tls).unwrap().0, 200);
    }
    drop(held);
    let v = stats_until(&s, "only the stream in flight", |v| v["in_flight"] == 1);
    assert_eq!(v["peak_in_flight"], 4);
    // Since the reset: the change, and the polls.
    assert!(v["connections_total"].as_u64().unwrap() >= 2, "{v}");
    drop(stream);
}

#[test]
fn keys_and_options_nomad_refuses_do_not_start() {
    let c = &certs().0;
    // Nomad's getSignatureAlgorithm takes RSA and ECDSA keys only.
    let dir = tmp("ed25519");
    std::fs::create_dir_all(&dir).unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let cert =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().self_signed(&key).unwrap();
    std::fs::write(dir.join("ed.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("ed-key.pem"), key.serialize_pem()).unwrap();
    let start = |f: &dyn Fn(&mut Options)| {
        let mut o =
            Options::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/demo"), "127.0.0.1:0");
        f(&mut o);
        DoubleServer::start(o).err().expect("refused")
    };
    let e = start(&|o| {
        o.tls_cert = Some(dir.join("ed.pem"));
        o.tls_key = Some(dir.join("ed-key.pem"));
    });
    assert!(
        e.ends_with("Unsupported signature algorithm ed25519.PrivateKey; RSA and ECDSA only are supported."),
        "{e}"
    );
    // IncomingTLSConfig: verification needs a key pair.
    assert_eq!(
        start(&|o| o.tls_client_ca = Some(c.ca.clone())),
        "VerifyIncoming set, and no Cert/Key pair provided!"
    );
    // A key that is not the certificate's.
    let e = start(&|o| {
        o.tls_cert = Some(c.server.cert.clone());
        o.tls_key = Some(c.client.key.clone());
    });
    assert!(e.contains("--tls-cert/--tls-key"), "{e}");
}

#[test]
fn the_certificates_are_nomads_roles() {
    let dir = tmp("region");
    let p = certs::generate_with(&dir, "eu-west", &[("web".to_owned(), vec!["example.test".to_owned()])])
        .unwrap();
    let names = [
        "ca.pem",
        "ca-key.pem",
        "server.pem",
        "server-key.pem",
        "server.spki",
        "client.pem",
        "cli.pem",
        "web.pem",
    ];
    for name in names {
        assert!(dir.join(name).is_file(), "{name}");
    }
    // A server certificate of region eu-west serves 127.0.0.1 and is trusted by its CA.
    let mut o = Options::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../www/demo"), "127.0.0.1:0");
    o.tls_cert = Some(p.server.cert.clone());
    o.tls_key = Some(p.server.key.clone());
    let s = DoubleServer::start(o).unwrap();
    let mut tls = connect(&s, client(&p.ca, None, BOTH));
    send(&mut tls, "GET", "/v1/allocations?per_page=1").unwrap();
    let server_cert = tls.conn.peer_certificates().unwrap()[0].clone();
    assert_eq!(answer(&mut tls).unwrap().0, 200);
    // server.<region>.nomad, localhost and 127.0.0.1, as `nomad tls cert create -server`.
    let der = server_cert.as_ref();
    let has = |needle: &[u8]| der.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"server.eu-west.nomad") && has(b"localhost") && has(&[0x87, 4, 127, 0, 0, 1]));
    assert!(!has(b"client.eu-west.nomad"));
    // The .spki file is base64(SHA-256(SubjectPublicKeyInfo)) of that certificate.
    let spki = std::fs::read_to_string(&p.server.spki_file).unwrap();
    assert_eq!(spki, p.server.spki);
    let digest = ring::digest::digest(&ring::digest::SHA256, spki_of(der));
    assert_eq!(unbase64(&spki), digest.as_ref());
}

/// A certificate's SubjectPublicKeyInfo (DER): the 7th element of its tbsCertificate.
fn spki_of(cert: &[u8]) -> &[u8] {
    // (header length, content length) of the DER element at the start of `d`.
    let tlv = |d: &[u8]| match d[1] as usize {
        l if l < 0x80 => (2, l),
        l => (2 + (l & 0x7f), d[2..2 + (l & 0x7f)].iter().fold(0, |a, b| a << 8 | *b as usize)),
    };
    let tbs = &cert[tlv(cert).0..];
    let mut rest = &tbs[tlv(tbs).0..];
    for _ in 0..6 {
        let (h, l) = tlv(rest);
        rest = &rest[h + l..];
    }
    let (h, l) = tlv(rest);
    &rest[..h + l]
}

fn unbase64(s: &str) -> Vec<u8> {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut bits, mut n, mut out) = (0u32, 0, Vec::new());
    for c in s.bytes().filter(|&c| c != b'=') {
        bits = bits << 6 | ABC.iter().position(|&a| a == c).expect("base64") as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}
