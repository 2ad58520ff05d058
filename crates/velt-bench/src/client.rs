//! The client under test: the crate's `Client` and the runtime its side runs on.

use crate::raw::BenchResult;

/// The client side runs on one thread (a current-thread runtime on the main thread), so its
/// CPU time can be measured apart from the server's.
pub fn client_runtime() -> BenchResult<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// The crate's client of the fake server at `base_url`.
pub fn crate_client(
    base_url: &str,
    api_key: &str,
    auth_token: &str,
) -> BenchResult<velt_api::Client> {
    Ok(velt_api::Client::builder()
        .base_url(base_url)
        .api_key(api_key)
        .auth_token(auth_token)
        .build()?)
}
