//! The worker's config, from TOML ([`Config::load`], [`Config::from_toml`]).
//!
//! Secrets are never written in the config: each one is `{ env = "VAR" }` (an environment
//! variable) or `{ file = "PATH" }` (a file holding it, as Docker and Kubernetes mount them),
//! read once at start ([`SecretSource::read`]) into a [`SecretString`] that prints as
//! `[REDACTED]`. A secret written inline is refused without echoing it; errors in the TOML are
//! reported by line and message only, never with the line's text.
//!
//! ```toml
//! listen = "127.0.0.1:8787"          # the default
//! cases_dir = "cases"                # relative to the config file's folder
//!
//! [velt]
//! base_url = "https://api.velt.dev"  # the default
//! api_key = { env = "VELT_API_KEY" }
//! auth_token = { file = "/run/secrets/velt-auth-token" }
//!
//! [transcend]
//! sombra_url = "https://multi-tenant.sombra.transcend.io"
//! audience = "your-sombra-audience"
//! api_key = { env = "TRANSCEND_API_KEY" }
//!
//! [ketch]
//! secret = { env = "KETCH_SECRET" }  # the header value set in Ketch's UI
//! [tls]                              # optional: HTTPS instead of HTTP
//! cert = "tls/cert.pem"
//! key = "tls/key.pem"
//! [fides]
//! base_url = "https://fides.example.com"
//! secret = { env = "FIDES_WORKER_SECRET" }
//! ```

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use velt_api::deletion::PollOptions;

use crate::error::{Error, Result};

/// Where a secret comes from: an environment variable or a file. The secret itself is read
/// by [`SecretSource::read`] and kept only in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// The environment variable of this name.
    Env(String),
    /// The file at this path (trailing line breaks removed).
    File(PathBuf),
}

impl SecretSource {
    /// Reads the secret; an error names the variable or file, never a value.
    pub fn read(&self) -> Result<SecretString> {
        let value = match self {
            SecretSource::Env(name) => std::env::var(name).map_err(|_| {
                Error::Config(format!(
                    "the environment variable {name} is not set (or not UTF-8)"
                ))
            })?,
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map_err(|e| Error::io(path, "cannot read the secret file", e))?,
        };
        let value = value.trim_end_matches(['\r', '\n']);
        if value.trim().is_empty() {
            return Err(Error::Config(format!("{} is empty", self.describe())));
        }
        Ok(SecretString::from(value.to_owned()))
    }

    /// `the environment variable X` or `the file P`, for messages.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env(name) => format!("the environment variable {name}"),
            SecretSource::File(path) => format!("the file {}", path.display()),
        }
    }

    fn relative_to(self, base: &Path) -> SecretSource {
        match self {
            SecretSource::File(path) if path.is_relative() => SecretSource::File(base.join(path)),
            other => other,
        }
    }
}

impl<'de> Deserialize<'de> for SecretSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Table {
            env: Option<String>,
            file: Option<PathBuf>,
        }
        // Whatever was written, nothing of it goes into the error: it may be the secret.
        const HOW: &str = "a secret is given as { env = \"VARIABLE\" } or { file = \"PATH\" }, never written in the config";
        let value = toml::Value::deserialize(deserializer)?;
        let table: Table = value
            .try_into()
            .map_err(|_| serde::de::Error::custom(HOW))?;
        match (table.env, table.file) {
            (Some(env), None) if !env.trim().is_empty() => Ok(SecretSource::Env(env)),
            (None, Some(file)) if !file.as_os_str().is_empty() => Ok(SecretSource::File(file)),
            _ => Err(serde::de::Error::custom(HOW)),
        }
    }
}

/// The whole config.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The address to listen on (default `127.0.0.1:8787`).
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// The folder of the jobs, one folder each (`transcend-<request id>`), with the case
    /// inside.
    pub cases_dir: PathBuf,
    /// The largest webhook body accepted (default 1 MiB); a larger one is answered 413.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// The threads the jobs run on (default 2); any number of jobs share them, since most of
    /// a job's time is spent waiting.
    #[serde(default = "default_job_threads")]
    pub job_threads: usize,
    /// Velt.
    pub velt: VeltConfig,
    /// How an erasure is done and waited for.
    #[serde(default)]
    pub erasure: ErasureConfig,
    /// How answers to the platforms are retried.
    #[serde(default)]
    pub outbox: OutboxConfig,
    /// Serve `GET /metrics` (Prometheus's text format; default `true`).
    #[serde(default = "default_metrics")]
    pub metrics: bool,
    /// Serve HTTPS with this certificate and key; without it, plain HTTP.
    pub tls: Option<TlsConfig>,
    /// Transcend; without it, `POST /transcend/webhook` answers 404.
    pub transcend: Option<TranscendConfig>,
    /// Ketch; without it, `POST /ketch/dsr` answers 404.
    pub ketch: Option<KetchConfig>,
    /// Fides; without it, the `/fides/...` routes answer 404.
    pub fides: Option<FidesConfig>,
}

/// Velt's API and the credentials to call it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeltConfig {
    /// Velt's base URL (default the client's, `https://api.velt.dev`).
    pub base_url: Option<String>,
    /// The API key (`x-velt-api-key`).
    pub api_key: SecretSource,
    /// The auth token (`x-velt-auth-token`).
    pub auth_token: SecretSource,
    /// Calls in flight at once during a search (default 8).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Download the files behind the links in the data into the case (default `false`: this
    /// version does not send files to the platforms).
    #[serde(default)]
    pub fetch_files: bool,
    /// Hosts the files may be fetched from beside the origin of Velt's base URL (as the
    /// CLI's `--file-host`): `cdn.example.com` or `*.example.com`.
    #[serde(default)]
    pub file_hosts: Vec<String>,
}

/// How an erasure is done and waited for.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ErasureConfig {
    /// Delete the activity records the GDPR deletion leaves (default `false`: they may be an
    /// audit trail the controller must keep).
    pub erase_activities: bool,
    /// Why what is kept may stay (GDPR Art. 17(3)); with it, a case whose other stores keep
    /// data closes as erased.
    pub retain_reason: Option<String>,
    /// The longest wait for Velt's deletion jobs, in seconds (default 24 hours).
    pub wait_secs: u64,
    /// The first pause between status calls, in milliseconds.
    pub poll_first_ms: u64,
    /// The longest pause between status calls, in milliseconds.
    pub poll_max_ms: u64,
}

impl Default for ErasureConfig {
    fn default() -> Self {
        let poll = PollOptions::default();
        ErasureConfig {
            erase_activities: false,
            retain_reason: None,
            wait_secs: poll.deadline.as_secs(),
            poll_first_ms: millis(poll.first_interval),
            poll_max_ms: millis(poll.max_interval),
        }
    }
}

impl ErasureConfig {
    /// The poller's options.
    pub fn poll(&self) -> PollOptions {
        PollOptions {
            deadline: Duration::from_secs(self.wait_secs),
            first_interval: Duration::from_millis(self.poll_first_ms),
            max_interval: Duration::from_millis(self.poll_max_ms.max(self.poll_first_ms)),
        }
    }
}

/// How answers are retried: the first pause, doubled after each failed attempt up to the
/// longest, until the platform acknowledges the answer or says it no longer wants it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxConfig {
    /// The first pause, in milliseconds (default 1 second).
    pub first_pause_ms: u64,
    /// The longest pause, in milliseconds (default 10 minutes).
    pub max_pause_ms: u64,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            first_pause_ms: 1_000,
            max_pause_ms: 600_000,
        }
    }
}

impl OutboxConfig {
    /// The pause after `failures` failed attempts in a row (1 for the first).
    pub fn pause(&self, failures: u32) -> Duration {
        let factor = 1u64 << failures.saturating_sub(1).min(20);
        Duration::from_millis(
            self.first_pause_ms
                .saturating_mul(factor)
                .min(self.max_pause_ms.max(self.first_pause_ms)),
        )
    }
}

/// HTTPS: the certificate chain and its private key, as PEM files (read at start).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate chain, the server's certificate first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Transcend: where its Sombra gateway is and the keys to talk to it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscendConfig {
    /// The Sombra gateway ("Customer Ingress URL"), e.g.
    /// `https://multi-tenant.sombra.transcend.io`; the answers go there too.
    pub sombra_url: String,
    /// The audience the webhook's token must name ("Sombra Audience").
    pub audience: String,
    /// The Transcend API key of the integration (`authorization: Bearer`).
    pub api_key: SecretSource,
    /// The Sombra internal key, for a self-hosted Sombra (`x-sombra-authorization: Bearer`).
    pub sombra_api_key: Option<SecretSource>,
    /// Records per datapoint page (`/v1/datapoint-chunked`; default 1000).
    #[serde(default = "default_chunk")]
    pub chunk_records: usize,
    /// How long a new job's webhook waits for its search, in milliseconds (default 3000):
    /// a search that found nobody within it is answered 204, as Transcend asks; 0 answers
    /// every new job 200 at once.
    #[serde(default = "default_answer_nobody_within")]
    pub answer_nobody_within_ms: u64,
}

/// Ketch's forwarder: the header its requests carry, and where its callbacks may go.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KetchConfig {
    /// The header name set in Ketch's UI ("Header Key"; default `Authorization`).
    #[serde(default = "default_ketch_header")]
    pub header: String,
    /// Its value ("Header Value"): a request without exactly this value is answered 401.
    pub secret: SecretSource,
    /// The hosts callbacks may go to, each `host` or `host:port` (empty, the default: any
    /// host). A request naming a callback elsewhere is refused (400), so that the worker
    /// never posts a person's data to a place the config does not allow.
    #[serde(default)]
    pub callback_hosts: Vec<String>,
    /// Allow `http://` callbacks (default `false`: `https://` only; for local tests).
    #[serde(default)]
    pub allow_http_callbacks: bool,
    /// The identity space (`identitySpace`) whose values are Velt user ids; without it, a
    /// request with no email is searched by its first raw identity as a user id.
    pub user_id_space: Option<String>,
    /// The largest status event posted to a callback, in bytes of JSON (default 1 000 000:
    /// the forwarder's 1 MB); access results are split into several events to stay within.
    #[serde(default = "default_ketch_event_bytes")]
    pub max_event_bytes: usize,
}

/// Fides: where its API is (the callbacks go there) and the secret its connector sends.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FidesConfig {
    /// Fides's base URL (the server of its API, e.g. `https://fides.example.com`): each
    /// callback goes to this URL and the `reply-to` path the request named, never to a host
    /// the request chose.
    pub base_url: String,
    /// The secret the connector sends as `Authorization: Bearer` (the connector's
    /// `worker_secret` in Fides).
    pub secret: SecretSource,
    /// For this long after a request arrived, a 400 to its callback is retried like any
    /// failure, in seconds (default 60): Fides marks its task as waiting only after the
    /// worker has answered the request, so a callback that comes very fast may find it not
    /// waiting yet. Later, 400 means the task no longer waits.
    #[serde(default = "default_retry_400")]
    pub retry_400_secs: u64,
}

impl Config {
    /// Reads the config file; relative paths in it (`cases_dir`, secret files) are relative to
    /// the file's folder.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(path, "cannot read the config", e))?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Config::from_toml(&text, base)
            .map_err(|e| Error::Config(format!("{}: {}", path.display(), plain(&e))))
    }

    /// Parses a config; relative paths are relative to `base`.
    pub fn from_toml(text: &str, base: &Path) -> Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            Error::Config(match line {
                Some(line) => format!("line {line}: {}", e.message()),
                None => e.message().to_owned(),
            })
        })?;
        if config.cases_dir.is_relative() {
            config.cases_dir = base.join(&config.cases_dir);
        }
        config.velt.api_key = config.velt.api_key.relative_to(base);
        config.velt.auth_token = config.velt.auth_token.relative_to(base);
        if let Some(tls) = config.tls.as_mut() {
            tls.cert = base.join(&tls.cert);
            tls.key = base.join(&tls.key);
        }
        if let Some(t) = config.transcend.as_mut() {
            t.api_key = t.api_key.clone().relative_to(base);
            t.sombra_api_key = t.sombra_api_key.take().map(|s| s.relative_to(base));
            let url = t.sombra_url.trim_end_matches('/').to_owned();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(Error::Config(format!(
                    "transcend.sombra_url must be an http(s) URL, not {url:?}"
                )));
            }
            t.sombra_url = url;
            if t.audience.trim().is_empty() {
                return Err(Error::Config("transcend.audience is empty".into()));
            }
            if t.chunk_records == 0 {
                return Err(Error::Config(
                    "transcend.chunk_records must be at least 1".into(),
                ));
            }
        }
        if let Some(k) = config.ketch.as_mut() {
            k.secret = k.secret.clone().relative_to(base);
            if axum::http::HeaderName::from_bytes(k.header.as_bytes()).is_err() {
                return Err(Error::Config(
                    "ketch.header is not an HTTP header name".into(),
                ));
            }
            for host in &mut k.callback_hosts {
                *host = host.trim().to_ascii_lowercase();
                if host.is_empty() || host.contains(['/', '@', ' ']) {
                    return Err(Error::Config(format!(
                        "ketch.callback_hosts: {host:?} is not a host or host:port"
                    )));
                }
            }
            // Room for the envelope of an event and at least one small record.
            if k.max_event_bytes < 4096 {
                return Err(Error::Config(
                    "ketch.max_event_bytes must be at least 4096".into(),
                ));
            }
        }
        if let Some(f) = config.fides.as_mut() {
            f.secret = f.secret.clone().relative_to(base);
            let url = f.base_url.trim_end_matches('/').to_owned();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(Error::Config(format!(
                    "fides.base_url must be an http(s) URL, not {url:?}"
                )));
            }
            f.base_url = url;
        }
        if config.velt.concurrency == 0 {
            return Err(Error::Config("velt.concurrency must be at least 1".into()));
        }
        if config.max_body_bytes == 0 {
            return Err(Error::Config("max_body_bytes must be at least 1".into()));
        }
        Ok(config)
    }
}

/// The message of a config error without its `config:` prefix.
fn plain(error: &Error) -> String {
    match error {
        Error::Config(message) => message.clone(),
        other => other.to_string(),
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8787))
}

fn default_metrics() -> bool {
    true
}

fn default_max_body() -> usize {
    1024 * 1024
}

fn default_job_threads() -> usize {
    2
}

fn default_concurrency() -> usize {
    8
}

fn default_retry_400() -> u64 {
    60
}

fn default_answer_nobody_within() -> u64 {
    3_000
}

fn default_chunk() -> usize {
    1000
}

fn default_ketch_header() -> String {
    "Authorization".to_owned()
}

fn default_ketch_event_bytes() -> usize {
    1_000_000
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
cases_dir = "cases"
[velt]
api_key = { env = "VELT_API_KEY" }
auth_token = { file = "secrets/token" }
"#;

    #[test]
    fn defaults_and_relative_paths() {
        let config = Config::from_toml(MINIMAL, Path::new("/etc/velt")).expect("parses");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8787");
        assert_eq!(config.cases_dir, Path::new("/etc/velt/cases"));
        assert_eq!(
            config.velt.auth_token,
            SecretSource::File("/etc/velt/secrets/token".into())
        );
        assert!(config.transcend.is_none());
        assert!(config.ketch.is_none());
        assert!(config.fides.is_none());
    }

    #[test]
    fn a_ketch_table_has_defaults_and_checked_values() {
        let text = format!("{MINIMAL}\n[ketch]\nsecret = {{ file = \"ketch\" }}\n");
        let config = Config::from_toml(&text, Path::new("/etc/velt")).expect("parses");
        let ketch = config.ketch.expect("a ketch table");
        assert_eq!(ketch.header, "Authorization");
        assert_eq!(ketch.secret, SecretSource::File("/etc/velt/ketch".into()));
        assert_eq!(ketch.max_event_bytes, 1_000_000);
        assert!(!ketch.allow_http_callbacks);
        let bad = format!("{text}callback_hosts = [\"https://x\"]\n");
        let error = Config::from_toml(&bad, Path::new(".")).expect_err("not a host");
        assert!(error.to_string().contains("callback_hosts"), "{error}");
        let bad = format!("{text}header = \"no spaces\"\n");
        let error = Config::from_toml(&bad, Path::new(".")).expect_err("not a header");
        assert!(error.to_string().contains("ketch.header"), "{error}");
    }

    #[test]
    fn metrics_are_on_by_default_and_tls_paths_are_relative_to_the_config() {
        let config = Config::from_toml(MINIMAL, Path::new("/etc/velt")).expect("parses");
        assert!(config.metrics);
        assert!(config.tls.is_none());
        let text = format!(
            "metrics = false\n{MINIMAL}[tls]\ncert = \"tls/cert.pem\"\nkey = \"/keys/key.pem\"\n"
        );
        let config = Config::from_toml(&text, Path::new("/etc/velt")).expect("parses");
        assert!(!config.metrics);
        let tls = config.tls.expect("a [tls] table");
        assert_eq!(tls.cert, Path::new("/etc/velt/tls/cert.pem"));
        assert_eq!(tls.key, Path::new("/keys/key.pem"));
    }

    #[test]
    fn a_fides_table_is_read_and_its_url_checked() {
        let text = format!(
            "{MINIMAL}\n[fides]\nbase_url = \"https://fides.example.com/\"\nsecret = {{ file = \"fides-secret\" }}\n"
        );
        let config = Config::from_toml(&text, Path::new("/etc/velt")).expect("parses");
        let fides = config.fides.expect("the table");
        assert_eq!(fides.base_url, "https://fides.example.com");
        assert_eq!(fides.retry_400_secs, 60);
        assert_eq!(
            fides.secret,
            SecretSource::File("/etc/velt/fides-secret".into())
        );
        let error = Config::from_toml(
            &text.replace("https://fides.example.com/", "fides.example.com"),
            Path::new("."),
        )
        .expect_err("not a URL");
        assert!(error.to_string().contains("fides.base_url"), "{error}");
    }

    #[test]
    fn an_inline_secret_is_refused_without_echoing_it() {
        let text = MINIMAL.replace(r#"{ env = "VELT_API_KEY" }"#, r#""sk-live-do-not-print""#);
        let error = Config::from_toml(&text, Path::new(".")).expect_err("refused");
        let message = error.to_string();
        assert!(!message.contains("sk-live"), "{message}");
        assert!(message.contains("line 4"), "{message}");
        assert!(message.contains("never written in the config"), "{message}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let error = Config::from_toml(&format!("{MINIMAL}\nlistne = 1\n"), Path::new("."))
            .expect_err("typo");
        assert!(error.to_string().contains("listne"), "{error}");
        let error = Config::from_toml(&format!("listen = \"nowhere\"\n{MINIMAL}"), Path::new("."))
            .expect_err("bad address");
        assert!(error.to_string().contains("line 1"), "{error}");
    }

    #[test]
    fn pauses_double_up_to_the_longest() {
        let outbox = OutboxConfig {
            first_pause_ms: 10,
            max_pause_ms: 35,
        };
        let pauses: Vec<u64> = (1..=4).map(|n| millis(outbox.pause(n))).collect();
        assert_eq!(pauses, [10, 20, 35, 35]);
    }
}
