//! The one NDJSON writer of the crate: every export line, in the library, the `velt` command
//! line and the erasure check, is written and counted here.

use std::{fmt, io::Write};

use crate::{
    error::Error,
    export::item::{ExportItem, ExportPage, ExportSummary, Feature},
};

/// Why [`crate::export::Export::write_ndjson`] stopped: the export failed (Velt, the network,
/// a page that does not decode), or writing into the caller's output did.
///
/// ```no_run
/// use velt_api::export::WriteError;
///
/// # async fn run(client: velt_api::Client) {
/// let mut out = std::io::stdout().lock();
/// match client.export_user_data("org-1", "user-42").write_ndjson(&mut out).await {
///     Ok(summary) => eprintln!("{} items", summary.items),
///     Err(WriteError::Velt(e)) if e.is_retryable() => eprintln!("try again later: {e}"),
///     Err(WriteError::Velt(e)) => eprintln!("the export failed: {e}"),
///     Err(WriteError::Output(e)) => eprintln!("cannot write the export: {e}"),
/// }
/// # }
/// ```
#[derive(Debug)]
pub enum WriteError {
    /// The export failed.
    Velt(Error),
    /// Writing or flushing the output failed.
    Output(std::io::Error),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Velt(e) => fmt::Display::fmt(e, f),
            WriteError::Output(e) => write!(f, "cannot write the export: {e}"),
        }
    }
}

impl std::error::Error for WriteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteError::Velt(e) => Some(e),
            WriteError::Output(e) => Some(e),
        }
    }
}

impl From<Error> for WriteError {
    fn from(error: Error) -> Self {
        WriteError::Velt(error)
    }
}

impl From<std::io::Error> for WriteError {
    fn from(error: std::io::Error) -> Self {
        WriteError::Output(error)
    }
}

/// Writes export items as NDJSON lines and counts what it wrote ([`ExportSummary`]).
///
/// A line is `{"feature":"comments","item":ITEM}`, or, when a user id is given,
/// `{"userId":USER,"feature":"comments","item":ITEM}` for several users in one stream. The
/// item's text is copied as Velt sent it. JSON allows line breaks only as white space between
/// tokens (never inside a string), so an item that Velt sent over several lines has each line
/// break written as a space: the line stays one line and every token keeps its bytes.
///
/// ```
/// use velt_api::export::{ExportItem, Feature, NdjsonWriter, RawItem};
///
/// let mut out = NdjsonWriter::new(Vec::new());
/// let item = ExportItem { feature: Feature::Comments, item: RawItem::from_json(r#"{"id": 1}"#)? };
/// out.write_item(None, &item)?;
/// assert_eq!(out.summary().items, 1);
/// let (bytes, _summary) = out.into_parts();
/// assert_eq!(bytes, b"{\"feature\":\"comments\",\"item\":{\"id\": 1}}\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct NdjsonWriter<W> {
    out: W,
    summary: ExportSummary,
}

impl<W: Write> NdjsonWriter<W> {
    /// A writer into `out`, nothing counted yet.
    pub fn new(out: W) -> Self {
        Self::resume(out, ExportSummary::default())
    }

    /// A writer into `out` that goes on counting from `summary` (what an interrupted export
    /// had already written there).
    pub fn resume(out: W, summary: ExportSummary) -> Self {
        NdjsonWriter { out, summary }
    }

    /// Writes every item of `page` and counts the page; with `user_id`, each line names the
    /// user. Stops at the first write that fails.
    pub fn write_page(&mut self, user_id: Option<&str>, page: ExportPage) -> std::io::Result<()> {
        self.summary.pages += 1;
        for item in page.into_items() {
            self.write_item(user_id, &item)?;
        }
        Ok(())
    }

    /// Writes one item as a line and counts it; with `user_id`, the line names the user.
    pub fn write_item(&mut self, user_id: Option<&str>, item: &ExportItem) -> std::io::Result<()> {
        write_line(&mut self.out, user_id, item)?;
        self.summary.count(&item.feature);
        Ok(())
    }

    /// Flushes the output.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// What was written so far.
    pub fn summary(&self) -> &ExportSummary {
        &self.summary
    }

    /// The output.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The output, to change (bytes written to it directly are not counted).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// The output and what was written to it.
    pub fn into_parts(self) -> (W, ExportSummary) {
        (self.out, self.summary)
    }
}

fn write_line<W: Write>(
    out: &mut W,
    user_id: Option<&str>,
    item: &ExportItem,
) -> std::io::Result<()> {
    out.write_all(b"{")?;
    if let Some(user_id) = user_id {
        out.write_all(b"\"userId\":")?;
        serde_json::to_writer(&mut *out, user_id)?;
        out.write_all(b",")?;
    }
    out.write_all(b"\"feature\":")?;
    match &item.feature {
        Feature::Other(key) => serde_json::to_writer(&mut *out, &**key)?,
        known => write!(out, "\"{}\"", known.as_str())?,
    }
    out.write_all(b",\"item\":")?;
    let text = item.item.as_str().as_bytes();
    if memchr::memchr2(b'\n', b'\r', text).is_some() {
        let one_line: Vec<u8> = text
            .iter()
            .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
            .collect();
        out.write_all(&one_line)?;
    } else {
        out.write_all(text)?;
    }
    out.write_all(b"}\n")
}
