//! The command line's definitions (clap), and nothing else: what each command does lives in
//! `commands/`.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use velt_dsr::export::FileFormat;

/// Answer data requests against Velt: export a user's data, erase it, look users up.
///
/// Credentials are read from VELT_API_KEY and VELT_AUTH_TOKEN. With --fake, a built-in fake
/// Velt server runs in this process and nothing leaves the machine.
#[derive(Debug, Parser)]
#[command(name = "velt", version, propagate_version = true)]
pub struct Cli {
    /// Start a built-in fake Velt server in this process and send every request to it (no
    /// credentials or network needed). Its demo data has organizations org-0001.. and users
    /// user-0001..
    #[arg(long, global = true)]
    pub fake: bool,

    /// Velt's base URL (https, or http on localhost only).
    #[arg(
        long,
        global = true,
        env = "VELT_BASE_URL",
        default_value = velt_api::Client::DEFAULT_BASE_URL
    )]
    pub base_url: String,

    /// Log every call and attempt (operation, HTTP status, latency) to standard error.
    /// Without it only retries and other warnings are logged.
    #[arg(long, short, global = true)]
    pub verbose: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The command groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Look users up (Get Users v1 and v2), and find a person in every organization.
    #[command(subcommand)]
    Users(UsersCommand),
    /// List organizations (Get Organizations, v2).
    #[command(subcommand)]
    Organizations(OrganizationsCommand),
    /// Export or erase a user's data (GDPR).
    #[command(subcommand)]
    Data(DataCommand),
    /// Run the built-in fake Velt server.
    #[command(subcommand)]
    Fake(FakeCommand),
    /// One case per data-subject request: a folder with the data, a report the person can
    /// read, the due date and a hash-chained log of every step.
    #[command(subcommand)]
    Request(RequestCommand),
    /// Let a privacy platform drive the requests: a worker that takes Transcend's webhooks
    /// (POST /transcend/webhook), answers each job into a case folder under the config's
    /// cases_dir in the background, and reports back until acknowledged. Open jobs are taken
    /// up at start. Config: examples/serve.toml.
    Serve(WorkerArgs),
}

/// `velt serve`
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The config file (TOML): listen address, cases_dir, Velt and Transcend, and where
    /// their secrets are read from (environment variables or files, never the file itself).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// How the worker logs to standard error: `text` (one line per event) or `json` (one
    /// JSON object per line, with the request's span: platform, route, request id). It logs
    /// its jobs and requests (info); with --verbose, also Velt's calls (debug).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Serve HTTPS with this certificate chain (PEM), instead of `[tls] cert` of the config.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert, instead of `[tls] key` of the config.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// `velt serve --log-format`
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// `velt request ...`
#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Answer an access request in one command: find the person in every organization (or
    /// those named), export every match into DIR/data/ORG/USER.ndjson with its manifest, keep
    /// the search record, and write DIR/report.html (the readable answer) and DIR/case.json
    /// (the due date, the files and their SHA-256); with --zip, DIR.zip to hand over.
    Access(RequestAccessArgs),
    /// Answer an erasure request in one command: find the person again, erase every match in
    /// the organizations found, wait, verify in every organization found, and keep the
    /// receipt in the case (DIR/receipt.json).
    Erase(RequestEraseArgs),
    /// Extend a case's deadline by up to two further months in all (GDPR Art. 12(3)); the
    /// reason is recorded and must be told to the person.
    Extend(RequestExtendArgs),
    /// Check a case, or one export file: a case's every file against its manifest and the
    /// case's hashes, and the event log's chain (prints the state, the due date and the days
    /// left); an export file against the manifest beside it (size, SHA-256, items per
    /// feature). Needs no credentials. Exit 1 on any mismatch.
    Check(RequestCheckArgs),
    /// The cases under a folder, by due date, overdue first.
    List(RequestListArgs),
}

/// `velt request access`
#[derive(Debug, Args)]
pub struct RequestAccessArgs {
    /// Who asked.
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Look only in this organization; repeat for several. Without it, every organization.
    #[arg(long = "organization-id")]
    pub organization_ids: Vec<String>,
    /// The case folder to create (it must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
    /// When the request was received [default: today]; the answer is due one calendar month
    /// later.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub received: Option<chrono::NaiveDate>,
    /// The controller's notice to the person, in Markdown, shown at the top of the report
    /// (who you are, the purposes, recipients, retention, the person's rights).
    #[arg(long, value_name = "FILE")]
    pub notice: Option<PathBuf>,
    /// Also write DIR.zip, the package to hand over.
    #[arg(long)]
    pub zip: bool,
    /// How many calls the search makes at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// The files behind the links in the data.
    #[command(flatten)]
    pub files: FileArgs,
}

/// Which files behind the links in the data an access request downloads into the case.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// Download no file: every link is listed in files.json as not requested, and the report
    /// says so.
    #[arg(long)]
    pub no_files: bool,
    /// Also download files from HOST (`cdn.example.com`, or `*.example.com` for its
    /// subdomains), over https; repeat for several. Velt's storage hosts are allowed
    /// without it; loopback and private addresses never are.
    #[arg(long = "file-host", value_name = "HOST", conflicts_with = "no_files")]
    pub file_hosts: Vec<String>,
    /// The largest file downloaded (e.g. 500MB, 2GiB); a larger one is listed, not kept.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "2GiB")]
    pub max_file_size: u64,
    /// The most bytes downloaded for one request (e.g. 10GiB); the files past it are listed,
    /// not kept.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "10GiB")]
    pub max_files_size: u64,
}

/// A size: a whole number of bytes with an optional unit (B, KB, MB, GB, TB in powers of
/// 1000; KiB, MiB, GiB, TiB in powers of 1024), e.g. `500MB`, `2GiB`, `1048576`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: u64 = number.parse().map_err(|_| {
        format!("{text:?}: give a size as a whole number and a unit, e.g. 500MB or 2GiB")
    })?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?}; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
            ));
        }
    };
    let bytes = number
        .checked_mul(factor)
        .ok_or_else(|| format!("{text:?}: too large"))?;
    if bytes == 0 {
        return Err(format!("{text:?}: the size must be more than zero"));
    }
    Ok(bytes)
}

/// `velt request erase`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("who").args(["case", "email", "user_id"]).required(true).multiple(true)))]
pub struct RequestEraseArgs {
    /// The case folder: an existing case (its subject is the person) or a new one (then
    /// give --email or --user-id). Without it, a new case in cases/erasure-DATE-TIME.
    #[arg(long, value_name = "DIR")]
    pub case: Option<PathBuf>,
    /// The person's email, for a new case.
    #[arg(long, conflicts_with = "user_id")]
    pub email: Option<String>,
    /// The person's user id, for a new case.
    #[arg(long)]
    pub user_id: Option<String>,
    /// Look only in this organization; repeat for several. Without it, every organization.
    #[arg(long = "organization-id")]
    pub organization_ids: Vec<String>,
    /// When the request was received, for a new case [default: today].
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub received: Option<chrono::NaiveDate>,
    /// Do not ask for confirmation (required when standard input is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Give up waiting for the deletion jobs after this long (e.g. 90s, 15m, 2h): exit 1,
    /// naming the time waited and how to resume; the receipt stays in the case.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// How many calls the search makes at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Also delete the person's activity records the GDPR deletion leaves (they may be an
    /// audit trail you must keep: only when you decide they go). Immutable records are
    /// refused by Velt and reported as retained.
    #[arg(long)]
    pub erase_activities: bool,
    /// Why the data that stays (immutable or kept activity records, a profile no call
    /// deletes) may stay, e.g. "legal obligation: audit trail, Art. 17(3)(b)"; recorded in
    /// the case, which then closes as erased.
    #[arg(long, value_name = "TEXT", value_parser = non_blank)]
    pub retain_reason: Option<String>,
}

/// A text that is not blank.
fn non_blank(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("give a reason in words (it is recorded in the case)".to_owned())
    } else {
        Ok(text.trim().to_owned())
    }
}

/// `velt request extend`
#[derive(Debug, Args)]
pub struct RequestExtendArgs {
    /// The case folder.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
    /// Months to add (two further months at most, all extensions together).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2))]
    pub months: u32,
    /// Why the case needs more time (recorded; tell the person).
    #[arg(long)]
    pub reason: String,
}

/// `velt request check`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").args(["case", "path"]).required(true)))]
pub struct RequestCheckArgs {
    /// The case folder.
    #[arg(long, value_name = "DIR")]
    pub case: Option<PathBuf>,
    /// A case folder, or an export file (written by `velt data export --out` or into a case).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// For an export file: the manifest to check it against [default: FILE.manifest.json].
    #[arg(long, value_name = "MANIFEST")]
    pub manifest: Option<PathBuf>,
}

/// `velt request list`
#[derive(Debug, Args)]
pub struct RequestListArgs {
    /// The folder holding the case folders.
    pub dir: PathBuf,
}

/// `velt users ...`
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Print the users of an organization, as a JSON array, narrowed by any combination of
    /// document, user ids and group ids (Get Users v1, for SDK v3 and earlier).
    Get(UsersGetArgs),
    /// Print the users of an organization, every page, as a JSON array (Get Users v2): its
    /// organization-level users, or those of a document, a folder or every document (each
    /// then with its "documentId").
    List(UsersListArgs),
    /// Find a person by email or user id in every organization (or those named): prints
    /// {"matches": [...], "search": {...}}. Exit 0 with matches, 3 when the search was
    /// complete and found nothing, 1 when an organization failed (the partial result is
    /// still printed and says so).
    Find(UsersFindArgs),
}

/// `velt users list`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("documents").args(["document_id", "folder_id", "all_documents"])))]
pub struct UsersListArgs {
    /// The organization to list.
    #[arg(long)]
    pub organization_id: String,
    /// The users of this document.
    #[arg(long)]
    pub document_id: Option<String>,
    /// The users of the documents of this folder.
    #[arg(long)]
    pub folder_id: Option<String>,
    /// The users of every document (not the organization-level ones), each with its
    /// document id (a user of several documents once per document).
    #[arg(long)]
    pub all_documents: bool,
    /// Only this user; repeat for several (at most 30).
    #[arg(long = "user-id")]
    pub user_ids: Vec<String>,
}

/// Who to look for: `--email` or `--user-id`.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SubjectArgs {
    /// The person's email; compared trimmed and case-insensitively (Unicode lower case),
    /// nothing cleverer.
    #[arg(long)]
    pub email: Option<String>,
    /// The person's user id (exact).
    #[arg(long)]
    pub user_id: Option<String>,
}

/// `velt users find`
#[derive(Debug, Args)]
pub struct UsersFindArgs {
    /// Who to look for.
    #[command(flatten)]
    pub subject: SubjectArgs,
    /// Look only in this organization; repeat for several. Without it, every organization.
    #[arg(long = "organization-id")]
    pub organization_ids: Vec<String>,
    /// How many calls are in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// `velt organizations ...`
#[derive(Debug, Subcommand)]
pub enum OrganizationsCommand {
    /// Print the organizations of the workspace (or those named), every page, as a JSON
    /// array.
    List(OrganizationsListArgs),
}

/// `velt organizations list`
#[derive(Debug, Args)]
pub struct OrganizationsListArgs {
    /// Only this organization; repeat for several. Without it, every organization.
    #[arg(long = "organization-id")]
    pub organization_ids: Vec<String>,
}

/// `velt users get`
#[derive(Debug, Args)]
pub struct UsersGetArgs {
    /// The organization to look in.
    #[arg(long)]
    pub organization_id: String,
    /// Only users of this document.
    #[arg(long)]
    pub document_id: Option<String>,
    /// Only this user; repeat for several (at most 30).
    #[arg(long = "user-id")]
    pub user_ids: Vec<String>,
    /// Only members of this organization user group; repeat for several (at most 30).
    #[arg(long = "group-id")]
    pub group_ids: Vec<String>,
}

/// `velt data ...`
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Export everything Velt holds about known users in one known organization (Get All User
    /// Data, every page). To answer a person's request (found by email or user id in every
    /// organization), use `velt request access`.
    Export(ExportArgs),
    /// Erase all data of known users (Delete All User Data). Asks for confirmation. To answer
    /// a person's erasure request everywhere they are found, use `velt request erase`.
    Delete(DeleteArgs),
    /// Show how far a deletion job has got.
    DeleteStatus(DeleteStatusArgs),
    /// Moved: `velt request check FILE` checks an export file against its manifest.
    #[command(hide = true)]
    VerifyExport(VerifyExportArgs),
}

/// `velt data verify-export`
#[derive(Debug, Args)]
pub struct VerifyExportArgs {
    /// The export file (written with --out or --out-dir).
    pub file: PathBuf,
    /// The manifest to check it against [default: FILE.manifest.json].
    #[arg(long, value_name = "MANIFEST")]
    pub manifest: Option<PathBuf>,
}

/// The output formats of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per item: {"feature":"comments","item":{...}}, the item as Velt sent it.
    Ndjson,
    /// One document: {"comments":[...],"reactions":[...],"recordings":[...],"notifications":[...]},
    /// then any other key Velt sent, each a list of its items.
    Json,
}

impl From<Format> for FileFormat {
    fn from(format: Format) -> FileFormat {
        match format {
            Format::Ndjson => FileFormat::Ndjson,
            Format::Json => FileFormat::Json,
        }
    }
}

/// `velt data export`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("output").args(["out", "out_dir"])))]
pub struct ExportArgs {
    /// The organization the users belong to.
    #[arg(long, required_unless_present_any = ["email", "all_organizations"])]
    pub organization_id: Option<String>,
    /// The user whose data to export; repeat for several users.
    #[arg(long = "user-id", required_unless_present_any = ["user_ids_file", "email"])]
    pub user_ids: Vec<String>,
    /// Moved: `velt request access --email EMAIL --case DIR` finds the person and exports
    /// every match.
    #[arg(long, hide = true)]
    pub email: Option<String>,
    /// Moved: `velt request access --user-id ID --case DIR`.
    #[arg(long, hide = true)]
    pub all_organizations: bool,
    /// A file of user ids, one per line (blank lines and lines starting with # are skipped).
    #[arg(long, value_name = "FILE")]
    pub user_ids_file: Option<PathBuf>,
    /// Write one user's export to this file instead of standard output. It appears only when
    /// the export is complete; until then the data sits in FILE.part, with FILE.checkpoint
    /// beside it.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write each user's export to DIR/USER.ndjson (or .json), the same way as --out.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Output format. With several users on standard output, only ndjson (each line then
    /// carries a "userId").
    #[arg(long, value_enum, default_value_t = Format::Ndjson)]
    pub format: Format,
    /// Continue an interrupted export into --out or --out-dir from its last completed page
    /// (users finished earlier are skipped).
    #[arg(long, requires = "output")]
    pub resume: bool,
    /// Replace an existing file even when it is not an export of this user in this
    /// organization (without it such a file is never touched), or start an interrupted export
    /// over.
    #[arg(long, requires = "output")]
    pub force: bool,
    /// How many users to export at the same time.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

/// `velt data delete`
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// A user to erase; repeat for several (any number: they are sent 30 at a time).
    #[arg(long = "user-id", required_unless_present = "email")]
    pub user_ids: Vec<String>,
    /// Moved: `velt request erase --email EMAIL --yes` finds the person and erases every
    /// match.
    #[arg(long, hide = true)]
    pub email: Option<String>,
    /// Moved: `velt request erase --user-id ID --yes`.
    #[arg(long, hide = true)]
    pub all_organizations: bool,
    /// How many calls the search for the organizations to check makes at once (--verify of
    /// an erasure of every organization).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Erase only in this organization; repeat for several. Without it the erasure covers
    /// every organization of the workspace.
    #[arg(long = "organization-id")]
    pub organization_ids: Vec<String>,
    /// Do not ask for confirmation (required when standard input is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Wait until every deletion job has completed, showing progress. Failed status calls
    /// (network, 5xx, 429, UNAVAILABLE) are reported and waited out, up to 24 hours (or
    /// --timeout).
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this long (e.g. 90s, 15m, 2h, 1h30m): exit 1, naming the time
    /// waited and how to resume. Needs --wait.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "wait")]
    pub timeout: Option<Duration>,
    /// Keep a receipt in FILE (JSON, no secret): per batch the users, scope, job id, task
    /// count and start time, updated as jobs finish and with the --verify result. A new
    /// file: an existing one is never overwritten.
    #[arg(long, value_name = "FILE")]
    pub receipt: Option<PathBuf>,
    /// The proof of erasure.
    #[command(flatten)]
    pub verify: VerifyArgs,
}

/// `--verify` of `velt data delete` and `delete-status`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Once every job has completed, export each erased user again in each organization of
    /// --organization-id and --verify-organization-id, and record what remains in the
    /// receipt; exit 1 when anything does. Needs --wait (and, for delete-status, --receipt).
    #[arg(long, requires = "wait")]
    pub verify: bool,
    /// Also check this organization with --verify; repeat for several. When `velt data
    /// delete` erases in every organization, --verify first finds the organizations the users
    /// are in (a search) and checks those; naming organizations here checks only these
    /// instead. `delete-status --receipt` of such an erasure needs them (the users can no
    /// longer be found once erased).
    #[arg(
        long = "verify-organization-id",
        value_name = "ORG",
        requires = "verify"
    )]
    pub verify_organization_ids: Vec<String>,
    /// Accept a check of an organization where the user was not a member and held nothing
    /// before the erasure (without it, that is an error: a mistyped organization id proves
    /// nothing).
    #[arg(long, requires = "verify")]
    pub allow_empty: bool,
}

/// A duration such as `90s`, `15m`, `2h`, `1h30m` or `500ms` (a bare number is seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration; write e.g. 90s, 15m, 2h or 1h30m");
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(number),
            "s" | "sec" => Duration::from_secs(number),
            "m" | "min" => Duration::from_secs(number.saturating_mul(60)),
            "h" => Duration::from_secs(number.saturating_mul(3600)),
            "d" => Duration::from_secs(number.saturating_mul(86_400)),
            _ => return Err(bad()),
        };
        total = total.saturating_add(unit);
        rest = &rest[unit_len..];
    }
    if total.is_zero() {
        return Err(format!("{text:?}: the timeout must be longer than zero"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_the_usual_units() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        for bad in ["", "s", "10x", "1.5h", "-3s", "0s", "h1"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_parse_in_decimal_and_binary_units() {
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("10 gib"), Ok(10 << 30));
        assert_eq!(parse_size("3kb"), Ok(3_000));
        for bad in [
            "",
            "MB",
            "0",
            "0GiB",
            "1.5GB",
            "-1",
            "2XB",
            "99999999999TiB",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}

/// `velt data delete-status`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("job").args(["job_id", "receipt"]).required(true)))]
pub struct DeleteStatusArgs {
    /// The job id printed by `velt data delete`.
    #[arg(long)]
    pub job_id: Option<String>,
    /// Every unfinished job of this receipt (written by `velt data delete --receipt`); the
    /// receipt is updated and printed. With --wait, resumes an interrupted wait.
    #[arg(long, value_name = "FILE")]
    pub receipt: Option<PathBuf>,
    /// Poll until the job(s) have completed, showing progress and riding out outages.
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this long (e.g. 90s, 15m, 2h): exit 1, naming the time waited
    /// and how to resume. Needs --wait.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, requires = "wait")]
    pub timeout: Option<Duration>,
    /// The proof of erasure (with --receipt only).
    #[command(flatten)]
    pub verify: VerifyArgs,
}

/// `velt fake ...`
#[derive(Debug, Subcommand)]
pub enum FakeCommand {
    /// Serve a fake Velt until Ctrl-C; prints its base URL and demo credentials.
    Serve(ServeArgs),
    /// Play Transcend for `velt serve`: serve a fake Sombra (its signing key, and the
    /// answers recorded), send one signed webhook to the worker, and print each answer until
    /// the job's final one.
    Transcend(FakeTranscendArgs),
    /// Play Ketch for `velt serve`: serve a callback endpoint, send one `dsr/v1` request to
    /// the worker's /ketch/dsr, and print each status event until `completed`.
    Ketch(FakeKetchArgs),
    /// Play Fides for `velt serve`: serve the request-task callback, call the connector's
    /// route (/fides/access or /fides/erasure), print the callback, and for an access read
    /// the other stores (/fides/store) as Fides's later collections do.
    Fides(FakeFidesArgs),
}

/// What the three fake platforms send: which job, about whom, to which worker.
#[derive(Debug, Args)]
pub struct FakeJobArgs {
    /// The worker's base URL (`velt serve`'s `listen`).
    #[arg(long, default_value = "http://127.0.0.1:8788")]
    pub worker: String,
    /// The job: `access` or `erasure`.
    #[arg(long, value_enum)]
    pub kind: FakeJobKind,
    /// The person's email.
    #[arg(long, default_value = "Jane.Doe@Example.com")]
    pub email: String,
    /// The platform's request id (default: one made of the time). The same id again is the
    /// same job: the worker answers its state.
    #[arg(long)]
    pub request_id: Option<String>,
    /// Give up after this many seconds without the final answer.
    #[arg(long, default_value_t = 600)]
    pub timeout_secs: u64,
}

/// `velt fake transcend`
#[derive(Debug, Args)]
pub struct FakeTranscendArgs {
    /// The job.
    #[command(flatten)]
    pub job: FakeJobArgs,
    /// Address the fake Sombra listens on: the worker's `transcend.sombra_url` (loopback
    /// only).
    #[arg(long, default_value = "127.0.0.1:8790")]
    pub listen: SocketAddr,
    /// The audience the token names: the worker's `transcend.audience`.
    #[arg(long, default_value = "velt-demo")]
    pub audience: String,
}

/// `velt fake ketch`
#[derive(Debug, Args)]
pub struct FakeKetchArgs {
    /// The request (`access`: AccessRequest, `erasure`: DeleteRequest).
    #[command(flatten)]
    pub job: FakeJobArgs,
    /// Address the fake callback endpoint listens on (loopback only): allow it in the
    /// worker's `ketch.callback_hosts`.
    #[arg(long, default_value = "127.0.0.1:8791")]
    pub listen: SocketAddr,
    /// The header Ketch sends (the worker's `ketch.header`).
    #[arg(long, default_value = "Authorization")]
    pub header: String,
    /// Its value (the worker's `ketch.secret`).
    #[arg(long, env = "KETCH_SECRET", hide_env_values = true)]
    pub secret: String,
}

/// `velt fake fides`
#[derive(Debug, Args)]
pub struct FakeFidesArgs {
    /// The task (`access`: the read, `erasure`: the update).
    #[command(flatten)]
    pub job: FakeJobArgs,
    /// Address the fake Fides listens on (loopback only): the worker's `fides.base_url`.
    #[arg(long, default_value = "127.0.0.1:8792")]
    pub listen: SocketAddr,
    /// The connector's worker secret (the worker's `fides.secret`).
    #[arg(long, env = "FIDES_WORKER_SECRET", hide_env_values = true)]
    pub secret: String,
}

/// `velt fake transcend --kind`
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FakeJobKind {
    /// An `ACCESS` job.
    Access,
    /// An `ERASURE` job.
    Erasure,
}

/// `velt fake serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub addr: SocketAddr,
    /// Seed of the generated data: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of organizations (generated on demand: thousands are cheap).
    #[arg(long, default_value_t = 3)]
    pub organizations: usize,
    /// Number of users in the workspace, spread round-robin over the organizations.
    #[arg(long, default_value_t = 12)]
    pub users: usize,
    /// Items of each feature per user and organization.
    #[arg(long, default_value_t = 120)]
    pub items_per_feature: usize,
    /// Delay added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Make every deletion-status call fail with 503 UNAVAILABLE for this many seconds after
    /// start (an outage to try `--wait` against).
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    pub status_outage_secs: u64,
    /// How long one deletion task takes, in milliseconds.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub deletion_task_ms: u64,
    /// Leave this many comments behind after a user's data is erased (to try `--verify`).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub deletion_leaves_comments: usize,
    /// Answer every call naming this organization with 503 UNAVAILABLE (to try an
    /// incomplete `velt users find`); repeat for several.
    #[arg(long = "fail-organization", value_name = "ORG")]
    pub fail_organizations: Vec<String>,
    /// Make Delete All User Data erase the users' activity records too (kept by default, as
    /// Velt's GDPR page does not name them).
    #[arg(long)]
    pub gdpr_deletes_activities: bool,
}
