//! Helpers shared by the CLI's end-to-end tests.

#![allow(dead_code)]

use std::{
    path::{Path, PathBuf},
    process::Output,
};

use tokio::process::Command;
use velt_fake::FakeVelt;

pub const BIN: &str = env!("CARGO_BIN_EXE_velt");

/// `velt ARGS` pointed at `fake` through the environment, standard input closed.
pub fn velt(fake: &FakeVelt, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("VELT_BASE_URL", fake.base_url())
        .env("VELT_API_KEY", fake.api_key())
        .env("VELT_AUTH_TOKEN", fake.auth_token())
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
