//! The fetcher: its settings, its own HTTP client, and a run over a list of URLs.

use crate::address::{GuardedResolver, Refused};
use crate::error::Error;
use crate::event::{FetchEvent, PROGRESS_EVERY};
use crate::journal::{Entry, Journal};
use crate::naming::{essence, file_name, hex};
use crate::policy::{DEFAULT_FILE_HOSTS, FileHost, Policy, redacted};
use crate::reason::{NotFetchedReason, TimeoutPhase};
use crate::report::{FetchReport, Fetched, FileRecord, FileRef, Outcome};
use futures::StreamExt;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use url::Url;

/// The default limit per file: 2 GiB, so that a long screen recording fits.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// The default limit per run: 10 GiB.
pub const DEFAULT_MAX_RUN_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// The default number of downloads at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// The default number of redirects followed in a row.
pub const DEFAULT_MAX_REDIRECTS: u32 = 5;

/// The prefix of the temporary files a download writes in the target directory before it is
/// complete. Left over only by a process that was killed; a run removes them when it starts.
const PART_PREFIX: &str = ".velt-part-";

/// Settings of a [`Fetcher`]. Every setting has a default; [`FetcherBuilder::build`] checks
/// them all.
#[derive(Debug, Clone)]
pub struct FetcherBuilder {
    default_hosts: bool,
    hosts: Vec<String>,
    origin: Option<String>,
    max_file_bytes: u64,
    max_run_bytes: u64,
    concurrency: usize,
    max_redirects: u32,
    connect_timeout: Duration,
    idle_timeout: Duration,
    file_timeout: Duration,
    rehash_resumed: bool,
}

impl Default for FetcherBuilder {
    fn default() -> Self {
        Self {
            default_hosts: true,
            hosts: Vec::new(),
            origin: None,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_run_bytes: DEFAULT_MAX_RUN_BYTES,
            concurrency: DEFAULT_CONCURRENCY,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            file_timeout: Duration::from_secs(3600),
            rehash_resumed: false,
        }
    }
}

impl FetcherBuilder {
    /// Allows files from `host` too (the CLI's `--file-host HOST`): a host name, or
    /// `*.example.com` for its subdomains; see [`FileHost::parse`]. Over `https` only.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.hosts.push(host.into());
        self
    }

    /// Starts the allow-list empty instead of with [`DEFAULT_FILE_HOSTS`].
    pub fn without_default_hosts(mut self) -> Self {
        self.default_hosts = false;
        self
    }

    /// Allows files on the origin (scheme, host and port) of `base_url`, the Velt base URL
    /// the data came from, over `http` too and whatever address it is on: that is how the
    /// fake server and test servers on loopback serve files. Nothing else on that host is
    /// allowed.
    pub fn origin(mut self, base_url: impl Into<String>) -> Self {
        self.origin = Some(base_url.into());
        self
    }

    /// The largest file, in bytes; default [`DEFAULT_MAX_FILE_BYTES`].
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = bytes;
        self
    }

    /// The most bytes one run downloads, in bytes; default [`DEFAULT_MAX_RUN_BYTES`].
    pub fn max_run_bytes(mut self, bytes: u64) -> Self {
        self.max_run_bytes = bytes;
        self
    }

    /// How many downloads run at once; default [`DEFAULT_CONCURRENCY`]. At least 1.
    pub fn concurrency(mut self, downloads: usize) -> Self {
        self.concurrency = downloads;
        self
    }

    /// How many redirects are followed in a row; default [`DEFAULT_MAX_REDIRECTS`].
    pub fn max_redirects(mut self, hops: u32) -> Self {
        self.max_redirects = hops;
        self
    }

    /// The limit on connecting (TCP and TLS); default 10 s.
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }

    /// The limit on waiting for the next bytes; default 60 s.
    pub fn idle_timeout(mut self, limit: Duration) -> Self {
        self.idle_timeout = limit;
        self
    }

    /// The limit on one file, redirects included; default 1 hour.
    pub fn file_timeout(mut self, limit: Duration) -> Self {
        self.file_timeout = limit;
        self
    }

    /// Whether a file an earlier run fetched is hashed again before it is counted as
    /// complete; default `false` (its name is its hash, it was renamed into place only when
    /// complete, and its size is checked).
    pub fn rehash_resumed(mut self, rehash: bool) -> Self {
        self.rehash_resumed = rehash;
        self
    }

    /// Checks the settings and builds the fetcher and its HTTP client.
    pub fn build(self) -> Result<Fetcher, Error> {
        let config = |message: String| Error::Config { message };
        if self.concurrency == 0 {
            return Err(config("the concurrency must be at least 1".to_owned()));
        }
        for (name, limit) in [
            ("connect timeout", self.connect_timeout),
            ("idle timeout", self.idle_timeout),
            ("file timeout", self.file_timeout),
        ] {
            if limit.is_zero() {
                return Err(config(format!("the {name} must be longer than zero")));
            }
        }
        let mut hosts = Vec::new();
        if self.default_hosts {
            for host in DEFAULT_FILE_HOSTS {
                hosts.push(FileHost::parse(host).map_err(config)?);
            }
        }
        for host in &self.hosts {
            hosts.push(FileHost::parse(host).map_err(config)?);
        }
        let origin = match &self.origin {
            None => None,
            Some(text) => {
                let url = Url::parse(text.trim())
                    .map_err(|e| config(format!("the origin {text:?} is not a URL: {e}")))?;
                if !matches!(url.scheme(), "http" | "https")
                    || url.host().is_none()
                    || !url.username().is_empty()
                    || url.password().is_some()
                {
                    return Err(config(format!(
                        "the origin {:?} must be an http or https URL with a host and no user name",
                        redacted(text)
                    )));
                }
                Some(url.origin())
            }
        };
        let policy = Policy { hosts, origin };
        // reqwest is built without a bundled crypto provider (as velt-api); installing fails
        // harmlessly when the application installed one already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            // Every hop is checked here, not followed by reqwest.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect for us, to addresses the resolver never sees.
            .no_proxy()
            .referer(false)
            .dns_resolver(Arc::new(GuardedResolver {
                trusted_host: policy.origin_host_name(),
            }))
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.idle_timeout)
            .user_agent(concat!("velt-files/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Fetcher {
            policy,
            client,
            settings: self,
        })
    }
}

/// The safe downloader of the files behind URLs in Velt's data; see the
/// [crate docs](crate). Its HTTP client is its own: no credentials, no cookies, no
/// redirects but the ones it checks, no proxy.
#[derive(Debug, Clone)]
pub struct Fetcher {
    policy: Policy,
    client: reqwest::Client,
    settings: FetcherBuilder,
}

/// The bytes a run has downloaded, against its limit.
struct Budget {
    used: AtomicU64,
    limit: u64,
}

impl Budget {
    fn exhausted(&self) -> bool {
        self.used.load(Ordering::Relaxed) >= self.limit
    }

    /// Counts `n` more bytes; `false` when that passes the limit.
    fn take(&self, n: u64) -> bool {
        self.used.fetch_add(n, Ordering::Relaxed).saturating_add(n) <= self.limit
    }
}

/// One run's shared state.
struct Run<'a> {
    dir: &'a Path,
    journal: Journal,
    budget: Budget,
    on_event: &'a (dyn Fn(FetchEvent<'_>) + Send + Sync),
}

impl Fetcher {
    /// The settings, to change some and [`FetcherBuilder::build`].
    pub fn builder() -> FetcherBuilder {
        FetcherBuilder::default()
    }

    /// Fetches the file behind every URL of `files` into `dir` (created when missing), and
    /// records what happened to each, in the input's order.
    ///
    /// Files are named `<sha256>.<ext>` in `dir`, never after their URL; the same content
    /// named by two URLs is one file with two records, and a URL named by two items is
    /// downloaded once. A file an earlier run completed in `dir` (see [resuming](crate#resuming)) is
    /// not downloaded again. Fails only when `dir` or its journal cannot be used: what
    /// happened to each URL is in the report.
    pub async fn fetch<P>(
        &self,
        files: impl IntoIterator<Item = FileRef<P>>,
        dir: &Path,
        on_event: &(dyn Fn(FetchEvent<'_>) + Send + Sync),
    ) -> Result<FetchReport<P>, Error> {
        let io = |source| Error::Io {
            path: dir.to_owned(),
            source,
        };
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
        remove_stale_parts(dir).await.map_err(io)?;
        let run = Run {
            dir,
            journal: Journal::open(dir).await?,
            budget: Budget {
                used: AtomicU64::new(0),
                limit: self.settings.max_run_bytes,
            },
            on_event,
        };

        let files: Vec<FileRef<P>> = files.into_iter().collect();
        let mut outcomes: Vec<Option<Outcome>> = vec![None; files.len()];
        // Distinct URLs, in the order first named, with the inputs naming each.
        let mut distinct: Vec<(Url, Vec<usize>)> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, file) in files.iter().enumerate() {
            match self.policy.check_text(&file.url) {
                Ok(url) => match seen.get(url.as_str()) {
                    Some(&d) => distinct[d].1.push(i),
                    None => {
                        seen.insert(url.as_str().to_owned(), distinct.len());
                        distinct.push((url, vec![i]));
                    }
                },
                Err(reason) => {
                    let shown = redacted(&file.url);
                    on_event(FetchEvent::NotFetched {
                        url: &shown,
                        reason: &reason,
                    });
                    outcomes[i] = Some(Outcome::NotFetched { reason });
                }
            }
        }

        // Indices, not borrowed items, go through the stream: a closure taking a reference
        // would make the run's future not `Send` (a limit of rustc's higher-ranked
        // inference), and a worker must be able to spawn it.
        let (distinct_ref, run_ref) = (&distinct, &run);
        let mut done = futures::stream::iter(0..distinct.len())
            .map(move |d| async move { (d, self.fetch_one(&distinct_ref[d].0, run_ref).await) })
            .buffer_unordered(self.settings.concurrency);
        while let Some((d, outcome)) = done.next().await {
            for &i in &distinct[d].1 {
                outcomes[i] = Some(outcome.clone());
            }
        }
        drop(done);

        let records = files
            .into_iter()
            .zip(outcomes)
            .map(|(file, outcome)| FileRecord {
                url: redacted(&file.url),
                provenance: file.provenance,
                outcome: outcome.unwrap_or(Outcome::NotFetched {
                    reason: NotFetchedReason::InvalidUrl {
                        message: "not processed".to_owned(),
                    },
                }),
            })
            .collect();
        Ok(FetchReport {
            files: records,
            bytes_downloaded: run.budget.used.load(Ordering::Relaxed),
        })
    }

    /// One distinct URL, already checked: resumed, downloaded, or why not.
    async fn fetch_one(&self, url: &Url, run: &Run<'_>) -> Outcome {
        let shown = url.as_str();
        let on_event = run.on_event;
        if let Some(entry) = run
            .journal
            .complete(shown, self.settings.rehash_resumed)
            .await
        {
            on_event(FetchEvent::Resumed {
                url: shown,
                file: &entry.file,
            });
            return Outcome::Fetched(Fetched {
                file: entry.file,
                size: entry.size,
                sha256: entry.sha256,
                content_type: entry.content_type,
                resumed: true,
            });
        }
        let result = if run.budget.exhausted() {
            Err(NotFetchedReason::RunLimitReached {
                limit: run.budget.limit,
            })
        } else {
            on_event(FetchEvent::Started { url: shown });
            match tokio::time::timeout(self.settings.file_timeout, self.download(url, run)).await {
                Ok(result) => result,
                Err(_) => Err(NotFetchedReason::TimedOut {
                    phase: TimeoutPhase::Total,
                    seconds: self.settings.file_timeout.as_secs(),
                }),
            }
        };
        let result = match result {
            Ok(fetched) => {
                let entry = Entry {
                    url: shown.to_owned(),
                    file: fetched.file.clone(),
                    size: fetched.size,
                    sha256: fetched.sha256.clone(),
                    content_type: fetched.content_type.clone(),
                };
                match run.journal.append(&entry).await {
                    Ok(()) => Ok(fetched),
                    Err(e) => Err(NotFetchedReason::WriteFailed {
                        message: format!(
                            "{} was written but could not be recorded in the journal: {e}",
                            fetched.file
                        ),
                    }),
                }
            }
            Err(reason) => Err(reason),
        };
        match result {
            Ok(fetched) => {
                on_event(FetchEvent::Fetched {
                    url: shown,
                    file: &fetched.file,
                    size: fetched.size,
                });
                Outcome::Fetched(fetched)
            }
            Err(reason) => {
                on_event(FetchEvent::NotFetched {
                    url: shown,
                    reason: &reason,
                });
                Outcome::NotFetched { reason }
            }
        }
    }

    /// The request, its redirects (each checked), the body streamed to a temporary file in
    /// the target directory, hashed on the way, and renamed to its name when complete.
    async fn download(&self, url: &Url, run: &Run<'_>) -> Result<Fetched, NotFetchedReason> {
        let mut current = url.clone();
        let mut hops = 0;
        let mut response = loop {
            let response = self
                .client
                .get(current.clone())
                .send()
                .await
                .map_err(|e| self.classify(e))?;
            let status = response.status();
            if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                if !status.is_success() {
                    return Err(NotFetchedReason::HttpStatus {
                        status: status.as_u16(),
                    });
                }
                break response;
            }
            if hops >= self.settings.max_redirects {
                return Err(NotFetchedReason::TooManyRedirects {
                    limit: self.settings.max_redirects,
                });
            }
            let next = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| current.join(l).ok())
                .ok_or(NotFetchedReason::BadRedirect {
                    status: status.as_u16(),
                })?;
            if let Err(because) = self.policy.check(&next) {
                return Err(NotFetchedReason::RedirectOffList {
                    location: redacted(next.as_str()),
                    because: Box::new(because),
                });
            }
            hops += 1;
            current = next;
        };

        let limit = self.settings.max_file_bytes;
        if let Some(announced) = response.content_length() {
            if announced > limit {
                return Err(NotFetchedReason::TooLarge {
                    limit,
                    seen: 0,
                    announced: Some(announced),
                });
            }
            let used = run.budget.used.load(Ordering::Relaxed);
            if used.saturating_add(announced) > run.budget.limit {
                return Err(NotFetchedReason::RunLimitReached {
                    limit: run.budget.limit,
                });
            }
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(essence);

        let write_failed = |e: std::io::Error| NotFetchedReason::WriteFailed {
            message: e.to_string(),
        };
        // Removed when dropped: on every early return, and when the run is cancelled.
        let part = tempfile::Builder::new()
            .prefix(PART_PREFIX)
            .tempfile_in(run.dir)
            .map_err(write_failed)?;
        let file = part.as_file().try_clone().map_err(write_failed)?;
        let mut out =
            tokio::io::BufWriter::with_capacity(256 * 1024, tokio::fs::File::from_std(file));
        let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
        let mut seen: u64 = 0;
        let mut next_progress = PROGRESS_EVERY;
        let announced = response.content_length();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e))? {
            let n = chunk.len() as u64;
            seen = seen.saturating_add(n);
            if seen > limit {
                return Err(NotFetchedReason::TooLarge {
                    limit,
                    seen,
                    announced,
                });
            }
            if !run.budget.take(n) {
                return Err(NotFetchedReason::RunLimitReached {
                    limit: run.budget.limit,
                });
            }
            hash.update(&chunk);
            out.write_all(&chunk).await.map_err(write_failed)?;
            if seen >= next_progress {
                next_progress = seen.saturating_add(PROGRESS_EVERY);
                (run.on_event)(FetchEvent::Progress {
                    url: url.as_str(),
                    bytes: seen,
                });
            }
        }
        out.flush().await.map_err(write_failed)?;
        let file = out.into_inner();
        file.sync_all().await.map_err(write_failed)?;
        drop(file);

        let sha256 = hex(hash.finish().as_ref());
        let name = file_name(&sha256, content_type.as_deref());
        let target = run.dir.join(&name);
        let dir = run.dir.to_owned();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            // The same content fetched before (another URL, or an earlier run): one file.
            part.persist(&target).map_err(|e| e.error)?;
            sync_dir(&dir)
        })
        .await
        .map_err(|e| write_failed(std::io::Error::other(e)))?
        .map_err(write_failed)?;
        Ok(Fetched {
            file: name,
            size: seen,
            sha256,
            content_type,
            resumed: false,
        })
    }

    /// The reason of an HTTP client error: a refused address found by the resolver, a
    /// timeout, or a failed connection (its message without the URL).
    fn classify(&self, error: reqwest::Error) -> NotFetchedReason {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(e) = source {
            if let Some(refused) = e.downcast_ref::<Refused>() {
                return NotFetchedReason::PrivateAddress {
                    host: refused.host.clone(),
                    address: refused.address.to_string(),
                };
            }
            source = e.source();
        }
        if error.is_timeout() {
            return if error.is_connect() {
                NotFetchedReason::TimedOut {
                    phase: TimeoutPhase::Connect,
                    seconds: self.settings.connect_timeout.as_secs(),
                }
            } else {
                NotFetchedReason::TimedOut {
                    phase: TimeoutPhase::Idle,
                    seconds: self.settings.idle_timeout.as_secs(),
                }
            };
        }
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(e) = source {
            let text = e.to_string();
            if !message.ends_with(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = e.source();
        }
        NotFetchedReason::ConnectionFailed { message }
    }
}

/// Removes the temporary files of downloads a killed process left behind.
async fn remove_stale_parts(dir: &Path) -> std::io::Result<()> {
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = entries.next_entry().await? {
        if entry.file_name().to_string_lossy().starts_with(PART_PREFIX) {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
    Ok(())
}

/// Makes a rename in `dir` durable (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
