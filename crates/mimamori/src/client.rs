//! A small JSON client for the office API, for the terminal (issue 11, #14).
//!
//! The office is reached over TLS (rustls, with the public roots, or with `--ca` the ward's
//! own certificate authority). Plain `http://` is refused except to this machine: a terminal's
//! password and its grants would cross the network readable. The terminal still trusts no key
//! the server sends; packages are verified against the ward's keys pinned on it.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context as _};
use mimamori_office::wire::{SignIn, SignedIn};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Cheap to clone: the agent shares its connections, and a clone carries the same session.
#[derive(Clone)]
pub struct Client {
    base: String,
    agent: ureq::Agent,
    token: Option<String>,
}

/// Is `server` a URL the terminal may use: `https://`, or `http://` to this machine only?
pub fn check_server(server: &str) -> anyhow::Result<url::Url> {
    let url = url::Url::parse(server)
        .with_context(|| format!("{server:?} is not a URL such as https://office.example"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d == "localhost",
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if !loopback {
                bail!(
                    "{server}: plain http:// carries the password and grants readable; use \
                     https:// (平文の http:// はこのマシン以外には使えません。https:// を使ってください)"
                );
            }
            Ok(url)
        }
        other => bail!("{server}: {other}:// is not http(s)"),
    }
}

impl Client {
    /// A client of the office at `server`. With `ca`, TLS trusts that PEM file's certificates
    /// (the ward's own authority) instead of the public roots.
    pub fn new(server: &str, ca: Option<&Path>) -> anyhow::Result<Client> {
        check_server(server)?;
        let mut agent = ureq::AgentBuilder::new();
        if let Some(ca) = ca {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca)
                .with_context(|| format!("cannot read the certificates in {}", ca.display()))?
            {
                roots.add(cert?)?;
            }
            if roots.is_empty() {
                bail!("{} holds no certificate", ca.display());
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()?
                .with_root_certificates(roots)
                .with_no_client_auth();
            agent = agent.tls_config(Arc::new(config));
        }
        Ok(Client {
            base: server.trim_end_matches('/').to_owned(),
            agent: agent.build(),
            token: None,
        })
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let mut req = self
            .agent
            .request(method, &format!("{}{path}", self.base))
            .set("Accept-Language", "ja, en;q=0.5");
        if let Some(token) = &self.token {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
        req
    }

    pub fn send<B: Serialize>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> anyhow::Result<ureq::Response> {
        let req = self.request(method, path);
        let result = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match result {
            Ok(r) => Ok(r),
            Err(ureq::Error::Status(status, r)) => {
                let body: Value = r.into_json().unwrap_or(Value::Null);
                let message = body["error"]["message"].as_str().unwrap_or("(no message)");
                bail!("{method} {path}: {status}: {message}")
            }
            Err(e) => Err(e).with_context(|| format!("{method} {path}")),
        }
    }

    /// One call with a body of the office's wire types (`mimamori_office::wire`) and its
    /// typed answer.
    pub fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> anyhow::Result<R> {
        Ok(self.send(method, path, body)?.into_json()?)
    }

    /// Signs in (with the one-time code when the account has a second factor); later calls
    /// carry the session.
    pub fn sign_in(
        &mut self,
        login: &str,
        password: &str,
        totp: Option<&str>,
    ) -> anyhow::Result<SignedIn> {
        let body = SignIn {
            login: login.to_owned(),
            password: password.to_owned(),
            totp: totp.map(str::to_owned),
        };
        let answer: SignedIn = self.call("POST", "/api/v1/sessions", Some(&body))?;
        self.token = Some(answer.token.clone());
        Ok(answer)
    }

    /// Signs out: the office ends the session.
    pub fn sign_out(&mut self) -> anyhow::Result<()> {
        if self.token.is_some() {
            self.send::<()>("DELETE", "/api/v1/sessions", None)?;
            self.token = None;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
