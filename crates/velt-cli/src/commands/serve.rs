//! `velt serve --config FILE`: the worker of `velt-serve`, until Ctrl-C.

use crate::{cli::WorkerArgs, failure::Failure};

/// Loads the config, starts the worker, and serves until Ctrl-C (open jobs are taken up at
/// the next start).
pub async fn exec(args: &WorkerArgs) -> Result<(), Failure> {
    let config =
        velt_serve::Config::load(&args.config).map_err(|e| Failure::Usage(e.to_string()))?;
    let cases_dir = config.cases_dir.clone();
    let server = velt_serve::Server::start(config)
        .await
        .map_err(|e| match e {
            velt_serve::Error::Config(_) => Failure::Usage(e.to_string()),
            other => Failure::Failed(other.to_string()),
        })?;
    println!(
        "velt serve listening on http://{} (jobs in {}; {} open job(s) taken up)",
        server.local_addr(),
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
