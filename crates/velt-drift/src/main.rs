//! `velt-drift`: checks Velt's documentation against `openapi/velt.yaml`.
//!
//! Exit codes: 0 clean, 1 drift (for `diff`: a breaking change), 2 usage error or unreadable
//! input (also a failed download).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use velt_drift::{EXIT_CLEAN, EXIT_ERROR, check, diff, fetch, report};

/// Detects drift between Velt's REST documentation pages and the OpenAPI spec.
#[derive(Debug, Parser)]
#[command(name = "velt-drift", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compare the documentation pages with the spec; exit 1 on drift.
    Check {
        /// Directory of the documentation snapshot (SOURCES and *.md / *.mdx pages).
        #[arg(long, default_value = "openapi/docs")]
        docs: PathBuf,
        /// The OpenAPI spec to check.
        #[arg(long, default_value = "openapi/velt.yaml")]
        spec: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// Also exit 1 when a page is bound to no operation ("not covered").
        #[arg(long)]
        strict: bool,
    },
    /// Compare an older spec with a newer one; exit 1 when a change is breaking.
    Diff {
        /// The older spec, e.g. from `git show HEAD~1:openapi/velt.yaml > old.yaml`.
        #[arg(long)]
        old: PathBuf,
        /// The newer spec.
        #[arg(long, default_value = "openapi/velt.yaml")]
        new: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Download the pages listed in DOCS/SOURCES to refresh the snapshot (needs network).
    Fetch {
        /// Directory of the documentation snapshot.
        #[arg(long, default_value = "openapi/docs")]
        docs: PathBuf,
        /// Write the pages that downloaded even when others failed (still exits 2).
        #[arg(long)]
        keep_going: bool,
        /// Base URL of the `.md` exports (the page key and `.md` are appended).
        #[arg(long, env = "VELT_DRIFT_MD_BASE", default_value = fetch::DEFAULT_MD_BASE)]
        md_base: String,
        /// Base URL of the `.mdx` sources (the page key and `.mdx` are appended).
        #[arg(long, env = "VELT_DRIFT_MDX_BASE", default_value = fetch::DEFAULT_MDX_BASE)]
        mdx_base: String,
    },
}

/// Output format.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputFormat {
    /// Readable text.
    Text,
    /// JSON, for machines.
    Json,
}

impl From<OutputFormat> for report::Format {
    fn from(f: OutputFormat) -> Self {
        match f {
            OutputFormat::Text => report::Format::Text,
            OutputFormat::Json => report::Format::Json,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("velt-drift: error: {e}");
            EXIT_ERROR
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

fn run(command: Command) -> Result<i32, velt_drift::Error> {
    match command {
        Command::Check {
            docs,
            spec,
            format,
            strict,
        } => {
            let r = check::check(&docs, &spec)?;
            print!("{}", report::check(&r, format.into()));
            Ok(r.exit_code(strict))
        }
        Command::Diff { old, new, format } => {
            let r = diff::diff_files(&old, &new)?;
            print!("{}", report::diff(&r, format.into()));
            Ok(r.exit_code())
        }
        Command::Fetch {
            docs,
            keep_going,
            md_base,
            mdx_base,
        } => {
            let bases = fetch::Bases {
                md: md_base,
                mdx: mdx_base,
            };
            let outcome = fetch::fetch(&docs, &bases, keep_going)?;
            for page in &outcome.written {
                println!("fetched {page}");
            }
            for (page, why) in &outcome.skipped {
                println!("skipped {page}: {why}");
            }
            for (page, why) in &outcome.failed {
                eprintln!("velt-drift: error: {page}: {why}");
            }
            println!("next: velt-drift check, then review `git diff openapi/docs`");
            Ok(if outcome.failed.is_empty() {
                EXIT_CLEAN
            } else {
                EXIT_ERROR
            })
        }
    }
}
