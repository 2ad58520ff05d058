//! The HTTP server: `GET /healthz`, `GET /metrics` and each configured adapter's route, with
//! the worker behind them, over HTTP or HTTPS; [`Intake`] is what the adapters' routes share.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use axum::{Router, routing::get};
use secrecy::ExposeSecret;

use crate::{
    config::Config,
    error::{Error, Result},
    fides::{self, Fides},
    intake::Intake,
    ketch::{self, Ketch},
    metrics::{self, Metrics},
    platform::Platform,
    tls,
    transcend::{self, Transcend},
    worker::Worker,
};

/// The running worker: listening, and working on its jobs in the background. Dropping it
/// stops both (each job's lock is released; a new server takes the jobs up where they
/// stood).
pub struct Server {
    addr: SocketAddr,
    worker: Arc<Worker>,
    serve: tokio::task::JoinHandle<()>,
    resumed: usize,
    https: bool,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("https", &self.https)
            .field("cases_dir", &self.worker.cases_dir)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Reads the secrets (and the TLS certificate and key, with `[tls]`), binds
    /// `config.listen` (port 0 for any free port), and takes up every open job under
    /// `cases_dir`.
    ///
    /// The jobs run on threads of their own (`job_threads`); the server on the caller's
    /// runtime, of either flavour.
    pub async fn start(config: Config) -> Result<Server> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = velt_api::Client::builder()
            .api_key(config.velt.api_key.read()?.expose_secret())
            .auth_token(config.velt.auth_token.read()?.expose_secret());
        if let Some(url) = &config.velt.base_url {
            builder = builder.base_url(url);
        }
        let client = builder.build()?;
        let transcend = config
            .transcend
            .as_ref()
            .map(Transcend::new)
            .transpose()?
            .map(Arc::new);
        let ketch = config
            .ketch
            .as_ref()
            .map(|k| Ketch::new(k, &config.erasure))
            .transpose()?
            .map(Arc::new);
        let fides = config
            .fides
            .as_ref()
            .map(Fides::new)
            .transpose()?
            .map(Arc::new);
        let mut platforms: Vec<Arc<dyn Platform>> = Vec::new();
        if let Some(t) = &transcend {
            platforms.push(Arc::clone(t) as Arc<dyn Platform>);
        }
        if let Some(k) = &ketch {
            platforms.push(Arc::clone(k) as Arc<dyn Platform>);
        }
        if let Some(f) = &fides {
            platforms.push(Arc::clone(f) as Arc<dyn Platform>);
        }
        std::fs::create_dir_all(&config.cases_dir)
            .map_err(|e| Error::io(&config.cases_dir, "cannot create the cases folder", e))?;
        let metrics = Arc::new(Metrics::new(
            config.cases_dir.clone(),
            platforms.iter().map(|p| p.name()).collect(),
        ));
        let worker = Arc::new(Worker::new(
            config.cases_dir.clone(),
            client,
            platforms,
            &config,
            Arc::clone(&metrics),
        )?);
        let intake = Intake::new(
            config.cases_dir.clone(),
            config.max_body_bytes,
            Arc::clone(&worker),
        );
        let mut app = Router::new().route("/healthz", get(|| async { "ok\n" }));
        if let Some(t) = transcend {
            app = app.merge(transcend::routes(t, intake.clone()));
        }
        if let Some(k) = ketch {
            app = app.merge(ketch::routes(k, intake.clone()));
        }
        if let Some(f) = fides {
            app = app.merge(fides::routes(f, intake.clone()));
        }
        let app = metrics::observe(app, &metrics, config.metrics);
        let (addr, serve) = listen(&config, app).await?;
        let resumed = worker.resume();
        let https = config.tls.is_some();
        tracing::info!(%addr, https, resumed, "velt serve listening");
        Ok(Server {
            addr,
            worker,
            serve,
            resumed,
            https,
        })
    }

    /// Its URL: `http://ADDR`, or `https://ADDR` with TLS.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many open jobs were taken up at start.
    pub fn resumed(&self) -> usize {
        self.resumed
    }
}

/// Binds `config.listen` and serves `app` there, over TLS with `[tls]` (its certificate and
/// key read first: a server that cannot read them does not start).
async fn listen(config: &Config, app: Router) -> Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let acceptor = config.tls.as_ref().map(tls::acceptor).transpose()?;
    let cannot = |e| Error::io(PathBuf::from(config.listen.to_string()), "cannot listen", e);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(cannot)?;
    let addr = listener.local_addr().map_err(cannot)?;
    let serve = match acceptor {
        None => tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the server stopped");
            }
        }),
        Some(acceptor) => {
            let listener = tls::TlsListener::new(listener, acceptor).map_err(cannot)?;
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "the server stopped");
                }
            })
        }
    };
    Ok((addr, serve))
}

impl Drop for Server {
    fn drop(&mut self) {
        self.serve.abort();
        self.worker.stop();
    }
}
