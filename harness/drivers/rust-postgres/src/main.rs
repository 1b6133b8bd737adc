//! The rust-postgres probe.  The guide's recipe, quoted literally:
//!
//!     let builder = SslConnector::builder(SslMethod::tls()).expect("unable to create sslconnector builder");
//!     let connector = MakeTlsConnector::new(builder.build());
//!     let mut client = Client::connect("postgresql://{username}:{password}@{host}:{port}/{databasename}?sslmode=require", connector).expect("Connection failed");
//!
//! It cannot be built as written here: Debian packages neither the blocking
//! `postgres` crate nor `postgres-openssl`.  So this probe uses
//! `tokio-postgres` (which `postgres` wraps) and the same OpenSSL connector
//! settings, with a `MakeTlsConnector` written below to do what
//! postgres-openssl's does: `SslConnector::configure()` and
//! `into_ssl(host)`, which turns on OpenSSL's host name check, and the
//! connector's defaults (peer verification against OpenSSL's default
//! store, /etc/ssl/certs) and tls-server-end-point channel binding, as
//! postgres-openssl's stream offers it.  application_name and
//! connect_timeout are appended so that an attacker proxy can tell this
//! probe's startup from the others' and a silent peer cannot hang it.
use std::env;
use std::error::Error;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::ssl::{ConnectConfiguration, SslConnector, SslMethod, SslRef};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_openssl::SslStream;
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

/// Version of librust-tokio-postgres-dev, passed by install-drivers.sh.
const LIBRARY_VERSION: Option<&str> = option_env!("PTP_CLIENT_VERSION");

#[derive(Clone)]
struct MakeTlsConnector(SslConnector);

struct TlsConnector {
    ssl: ConnectConfiguration,
    domain: String,
}

struct Stream<S>(SslStream<S>);

impl<S> MakeTlsConnect<S> for MakeTlsConnector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Stream<S>;
    type TlsConnect = TlsConnector;
    type Error = openssl::error::ErrorStack;

    fn make_tls_connect(&mut self, domain: &str) -> Result<TlsConnector, Self::Error> {
        Ok(TlsConnector {
            ssl: self.0.configure()?,
            domain: domain.to_string(),
        })
    }
}

impl<S> TlsConnect<S> for TlsConnector
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Stream = Stream<S>;
    type Error = Box<dyn Error + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<Stream<S>, Self::Error>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        Box::pin(async move {
            let ssl = self.ssl.into_ssl(&self.domain)?;
            let mut stream = SslStream::new(ssl, stream)?;
            Pin::new(&mut stream).connect().await?;
            Ok(Stream(stream))
        })
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Stream<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Stream<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for Stream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        match tls_server_end_point(self.0.ssl()) {
            Some(hash) => ChannelBinding::tls_server_end_point(hash),
            None => ChannelBinding::none(),
        }
    }
}

/// The server certificate's hash for tls-server-end-point (RFC 5929: the
/// digest of its signature algorithm, SHA-256 for MD5 and SHA-1), or None
/// when there is no certificate or its algorithm names no digest.
fn tls_server_end_point(ssl: &SslRef) -> Option<Vec<u8>> {
    let cert = ssl.peer_certificate()?;
    let algorithms = cert.signature_algorithm().object().nid().signature_algorithms()?;
    let md = match algorithms.digest {
        Nid::MD5 | Nid::SHA1 => MessageDigest::sha256(),
        nid => MessageDigest::from_nid(nid)?,
    };
    cert.digest(md).ok().map(|d| d.to_vec())
}

fn json(s: Option<&str>) -> String {
    match s {
        None => "null".to_string(),
        Some(s) => {
            let mut out = String::from("\"");
            for ch in s.chars() {
                match ch {
                    '"' | '\\' => {
                        out.push('\\');
                        out.push(ch)
                    }
                    c if (c as u32) < 0x20 => out.push(' '),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
    }
}

fn report(row: Option<(bool, Option<String>, Option<String>)>, error: Option<String>) {
    let version = format!("tokio-postgres {}", LIBRARY_VERSION.unwrap_or("unknown"));
    let (ssl, tls, cipher) = match &row {
        Some((s, t, c)) => (s.to_string(), t.as_deref(), c.as_deref()),
        None => ("null".to_string(), None, None),
    };
    println!(
        "{{\"connected\": {}, \"server_ssl\": {}, \"server_tls_version\": {}, \"server_cipher\": {}, \"error\": {}, \"version\": {}, \"libpq\": null}}",
        row.is_some(),
        ssl,
        json(tls),
        json(cipher),
        json(error.as_deref()),
        json(Some(&version))
    );
}

/// The error and its causes on one line (tokio-postgres wraps the TLS error).
fn describe(e: &dyn Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// Connects with tls and reports the server's view of the session.
async fn session<T>(url: &str, tls: T)
where
    T: MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = match tokio_postgres::connect(url, tls).await {
        Ok(pair) => pair,
        Err(err) => {
            report(None, Some(describe(&err)));
            return;
        }
    };
    tokio::spawn(connection);
    match client
        .query_one("SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .await
    {
        Ok(row) => report(Some((row.get(0), row.get(1), row.get(2))), None),
        Err(err) => report(None, Some(describe(&err))),
    }
}

/// PTP_VARIANT recipe: sslmode=require with the OpenSSL connector (the
/// guide's); cafile: the same with the guide's `set_ca_file(<root file>)` on
/// the builder (PTP_ROOT_CERT); generic: the guide's generic string with
/// that connector; hardened: the recipe with channel binding required;
/// default: no TLS setting at all, i.e. NoTls and no sslmode.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let e = |k: &str| env::var(k).unwrap_or_default();
    let variant = e("PTP_VARIANT");
    let recipe = variant != "default";
    let tls = match variant.as_str() {
        "default" => "",
        "generic" => "sslmode=verify-full&sslrootcert=system&",
        "hardened" => "sslmode=require&channel_binding=require&",
        _ => "sslmode=require&",
    };
    let url = format!(
        "postgresql://{}:{}@{}:{}/{}?{}application_name={}&connect_timeout={}",
        e("PTP_USER"),
        e("PTP_PASSWORD"),
        e("PTP_HOST"),
        e("PTP_PORT"),
        e("PTP_DBNAME"),
        tls,
        e("PTP_APPNAME"),
        e("PTP_TIMEOUT")
    );
    if recipe {
        let mut builder = SslConnector::builder(SslMethod::tls()).expect("unable to create sslconnector builder");
        if variant == "cafile" {
            builder.set_ca_file(e("PTP_ROOT_CERT")).expect("unable to locate certificate file");
        }
        session(&url, MakeTlsConnector(builder.build())).await;
    } else {
        session(&url, tokio_postgres::NoTls).await;
    }
}
