//! `velt serve --config FILE [--tls-cert FILE --tls-key FILE] [--log-format json]`: the
//! worker of `velt-serve`, until Ctrl-C.

use crate::{cli::WorkerArgs, failure::Failure};

/// Loads the config, starts the worker, and serves until Ctrl-C (open jobs are taken up at
/// the next start). Velt's base URL is the config's `velt.base_url`, else `--base-url` /
/// `VELT_BASE_URL` (as `velt fake serve` prints it), else Velt's.
pub async fn exec(args: &WorkerArgs, base_url: &str) -> Result<(), Failure> {
    let mut config =
        velt_serve::Config::load(&args.config).map_err(|e| Failure::Usage(e.to_string()))?;
    if config.velt.base_url.is_none() && base_url != velt_api::Client::DEFAULT_BASE_URL {
        config.velt.base_url = Some(base_url.to_owned());
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        config.tls = Some(velt_serve::config::TlsConfig {
            cert: cert.clone(),
            key: key.clone(),
        });
    }
    let cases_dir = config.cases_dir.clone();
    let server = velt_serve::Server::start(config)
        .await
        .map_err(|e| match e {
            velt_serve::Error::Config(_) => Failure::Usage(e.to_string()),
            other => Failure::Failed(other.to_string()),
        })?;
    println!(
        "velt serve listening on {} (jobs in {}; {} open job(s) taken up)",
        server.url(),
        cases_dir.display(),
        server.resumed()
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Failure::Failed(format!("cannot wait for Ctrl-C: {e}")))?;
    drop(server);
    eprintln!("stopped; open jobs are taken up where they stood at the next start");
    Ok(())
}
