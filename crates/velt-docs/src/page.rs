//! What a page says: the endpoint, the parameters, the examples, the success status, and why
//! a page could not be read. Plain data; the scanner (`scan.rs`) fills it in.

use std::path::PathBuf;

use serde::Serialize;

/// Everything the drift checker needs from one documentation page.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Page {
    /// The page title: the front matter's `title`, or (`.md` export) the first `# ` heading.
    pub title: Option<String>,
    /// The HTTP method, upper case (`POST`). From the `# Endpoint` section, else the front matter.
    pub method: Option<String>,
    /// The full URL, e.g. `https://api.velt.dev/v2/users/data/get`.
    pub url: Option<String>,
    /// The path part of [`Page::url`], e.g. `/v2/users/data/get`.
    pub path: Option<String>,
    /// The `api:` line of the front matter (`.mdx` only).
    pub front_matter_api: Option<Endpoint>,
    /// The backticked `METHOD URL` line of the `# Endpoint` section.
    pub endpoint_section: Option<Endpoint>,
    /// `<ParamField header="...">` parameters.
    pub headers: Vec<Param>,
    /// `<ParamField body="...">` parameters; nested ones are in [`Param::children`].
    pub body: Vec<Param>,
    /// `<ParamField query="...">` parameters.
    pub query: Vec<Param>,
    /// `<ParamField path="...">` parameters.
    pub path_params: Vec<Param>,
    /// The JSON examples in page order.
    pub examples: Vec<Example>,
    /// The documented success status: a `statusCode` in a success example, else a status the
    /// prose names ("return a 202 response"). `None` when the page does not say.
    pub success_status: Option<u16>,
    /// Every place the page names a success status, in page order.
    pub status_evidence: Vec<StatusEvidence>,
}

/// A `METHOD URL` pair as written on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// The HTTP method, upper case.
    pub method: String,
    /// The URL as written.
    pub url: String,
    /// The path part of the URL (no scheme, host, query or fragment).
    pub path: String,
    /// The 1-based line the pair was read from.
    pub line: usize,
}

/// One `<ParamField>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Param {
    /// The parameter name (the value of the location attribute).
    pub name: String,
    /// Where it goes: `header`, `body`, `query` or `path`.
    pub location: String,
    /// The type as written (`string`, `string[]`, `object`, `number`, `boolean`, ...);
    /// empty when the page gives none.
    pub ty: String,
    /// Whether the field carries the `required` flag.
    pub required: bool,
    /// Parameters nested inside this one (through `<Expandable>`).
    pub children: Vec<Param>,
    /// The 1-based line of the opening tag.
    pub line: usize,
}

/// What an example block shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExampleKind {
    /// A request body ("Example Request(s)" and the numbered headings under it).
    Request,
    /// A success answer ("Success Response", `<ResponseExample>`).
    SuccessResponse,
    /// An error answer ("Failure Response").
    FailureResponse,
}

/// One JSON example block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Example {
    /// What the block shows.
    pub kind: ExampleKind,
    /// The heading it sits under (`**` removed), or `ResponseExample` / `RequestExample`.
    pub heading: String,
    /// The block's content; `[..]` ("some items") reads as an empty array.
    pub json: serde_json::Value,
    /// The 1-based line of the opening fence.
    pub line: usize,
}

/// A place where the page names a success status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusEvidence {
    /// The status code.
    pub status: u16,
    /// The 1-based line it was read from.
    pub line: usize,
    /// `prose` or `example` (a `statusCode` field of a success example).
    pub source: String,
}

/// Why a page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The markup or an example is malformed.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong, and what to do about it.
        message: String,
    },
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A syntax error in a named file.
    #[error("{}: {source}", path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// The error inside it.
        #[source]
        source: Box<ParseError>,
    },
}

impl ParseError {
    /// The 1-based line of the problem, when it concerns one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ParseError::Syntax { line, .. } => Some(*line),
            ParseError::Io { .. } => None,
            ParseError::InFile { source, .. } => source.line(),
        }
    }
}

impl Page {
    /// The examples of one kind, in page order.
    pub fn examples_of(&self, kind: ExampleKind) -> impl Iterator<Item = &Example> {
        self.examples.iter().filter(move |e| e.kind == kind)
    }

    /// The body parameter named `name` at the top level.
    pub fn body_param(&self, name: &str) -> Option<&Param> {
        self.body.iter().find(|p| p.name == name)
    }
}

impl Param {
    /// The nested parameter named `name`.
    pub fn child(&self, name: &str) -> Option<&Param> {
        self.children.iter().find(|p| p.name == name)
    }
}

/// Splits `METHOD URL` (as in `api: "POST https://api.velt.dev/v1/users/get"`).
pub fn parse_endpoint(text: &str, line: usize) -> Option<Endpoint> {
    let mut parts = text.split_whitespace();
    let method = parts.next()?;
    let url = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    let method = method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return None;
    }
    Some(Endpoint {
        method,
        url: url.to_string(),
        path: url_path(url),
        line,
    })
}

/// The path part of a URL: `https://api.velt.dev/v1/users/get?x=1` → `/v1/users/get`.
pub fn url_path(url: &str) -> String {
    let after_scheme = match url.find("://") {
        Some(idx) => {
            let rest = url.get(idx + 3..).unwrap_or("");
            rest.find('/').and_then(|p| rest.get(p..)).unwrap_or("/")
        }
        None => url,
    };
    let end = after_scheme.find(['?', '#']).unwrap_or(after_scheme.len());
    let path = after_scheme.get(..end).unwrap_or(after_scheme);
    if path.is_empty() {
        "/".to_string()
    } else {
        path.to_string()
    }
}
