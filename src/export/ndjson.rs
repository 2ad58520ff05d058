//! The one NDJSON writer of the crate: every export line, in the library, the `velt` command
//! line and the erasure check, is written and counted here.

use std::io::Write;

use crate::{
    error::{Error, Result},
    export::item::{ExportItem, ExportPage, ExportSummary, Feature},
};

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
    pub fn write_page(&mut self, user_id: Option<&str>, page: ExportPage) -> Result<()> {
        self.summary.pages += 1;
        for item in page.into_items() {
            self.write_item(user_id, &item)?;
        }
        Ok(())
    }

    /// Writes one item as a line and counts it; with `user_id`, the line names the user.
    pub fn write_item(&mut self, user_id: Option<&str>, item: &ExportItem) -> Result<()> {
        write_line(&mut self.out, user_id, item)
            .map_err(|e| Error::io("writing an export line", e))?;
        self.summary.count(&item.feature);
        Ok(())
    }

    /// Flushes the output.
    pub fn flush(&mut self) -> Result<()> {
        self.out
            .flush()
            .map_err(|e| Error::io("flushing the export", e))
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
