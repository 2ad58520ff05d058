//! Helpers shared by the `velt` binary's end-to-end tests.
#![allow(dead_code)] // each test file uses its own subset

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use tokio::process::Command;
use velt_fake::{FakeConfig, FakeVelt};

pub const BIN: &str = env!("CARGO_BIN_EXE_velt");

/// `velt ARGS` pointed at `fake` through the environment, standard input closed.
pub fn velt(fake: &FakeVelt, args: &[&str]) -> Command {
    velt_at(&fake.base_url(), fake.api_key(), fake.auth_token(), args)
}

/// `velt ARGS` pointed at any server through the environment, standard input closed.
pub fn velt_at(base_url: &str, api_key: &str, auth_token: &str, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("VELT_BASE_URL", base_url)
        .env("VELT_API_KEY", api_key)
        .env("VELT_AUTH_TOKEN", auth_token)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    command
}

pub async fn run(mut command: Command) -> Output {
    command.output().await.expect("velt runs")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails, showing standard error, unless it contains `needle`.
pub fn assert_stderr_has(output: &Output, needle: &str) {
    let text = stderr(output);
    assert!(
        text.contains(needle),
        "standard error lacks {needle:?}: {text}"
    );
}

/// A fresh directory under the target dir for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The fake's default workspace with `items_per_feature` items of each feature per user.
pub fn config(items_per_feature: usize) -> FakeConfig {
    FakeConfig {
        items_per_feature,
        ..FakeConfig::default()
    }
}
