//! Get All User Data: one page, every page as a stream, every item as a stream, and whole
//! exports collected or written out.

use std::{collections::HashSet, fmt, io::Write, pin::Pin, sync::Arc};

use futures::{Stream, StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};

use crate::{
    Client, Error, Operation, PaginationError, RawItem, UserData, types, users::require_id,
};

/// The kinds of data an export holds: the four Velt documents, in its order, and any other
/// key of a page's `data`, under its own name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Feature {
    /// Comment annotations the user created or took part in.
    Comments,
    /// Reactions the user created.
    Reactions,
    /// Recordings the user created.
    Recordings,
    /// Notifications the user was involved in.
    Notifications,
    /// A key of `data` that this version of the crate does not know (the docs promise "user
    /// profile data" without naming its field). Its items are exported as they came.
    Other(Arc<str>),
}

impl Feature {
    /// The four Velt documents, in its order.
    pub const ALL: [Feature; 4] = [
        Feature::Comments,
        Feature::Reactions,
        Feature::Recordings,
        Feature::Notifications,
    ];

    /// The key in Velt's answer, e.g. `comments`.
    pub fn as_str(&self) -> &str {
        match self {
            Feature::Comments => "comments",
            Feature::Reactions => "reactions",
            Feature::Recordings => "recordings",
            Feature::Notifications => "notifications",
            Feature::Other(key) => key,
        }
    }

    /// The feature a key of `data` stands for: one of the four, or [`Feature::Other`].
    pub fn from_key(key: &str) -> Feature {
        match key {
            "comments" => Feature::Comments,
            "reactions" => Feature::Reactions,
            "recordings" => Feature::Recordings,
            "notifications" => Feature::Notifications,
            other => Feature::Other(other.into()),
        }
    }

    /// True for the four features Velt documents.
    pub fn is_known(&self) -> bool {
        self.known_index().is_some()
    }

    /// The place of a known feature in [`Feature::ALL`].
    fn known_index(&self) -> Option<usize> {
        match self {
            Feature::Comments => Some(0),
            Feature::Reactions => Some(1),
            Feature::Recordings => Some(2),
            Feature::Notifications => Some(3),
            Feature::Other(_) => None,
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Feature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Feature {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Feature, D::Error> {
        let key = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(Feature::from_key(&key))
    }
}

/// One page of a user's data: up to 100 items of each feature, any other key Velt sent, and
/// the token of the next page.
///
/// Items are kept exactly as Velt sent them, as JSON text ([`RawItem`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ExportPage {
    /// The lists of this page, and its other keys.
    pub data: UserData,
    /// The token of the next page; `None` on the last page (Velt's absent, `null` and empty
    /// token all read as `None`).
    pub next_page_token: Option<String>,
}

impl ExportPage {
    /// How many items the page holds, all features together.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the page holds no item (a page may be empty and still have a next page).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items of the page, each tagged with its feature, feature by feature (see
    /// [`UserData::into_items`]).
    pub fn into_items(self) -> impl Iterator<Item = ExportItem> {
        self.data
            .into_items()
            .map(|(feature, item)| ExportItem { feature, item })
    }
}

/// One exported item and the feature it belongs to. Serializes as
/// `{"feature":"comments","item":{...}}`, the line format of NDJSON exports, with the item's
/// text as Velt sent it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportItem {
    /// Which list (or other key) the item came from.
    pub feature: Feature,
    /// The item, exactly as Velt sent it.
    pub item: RawItem,
}

/// Counts of what an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ExportSummary {
    /// Pages read.
    pub pages: usize,
    /// Items written, all features and other keys together.
    pub items: usize,
    /// Items written per known feature, in [`Feature::ALL`] order.
    pub per_feature: [usize; 4],
    /// Items written per other key of `data`, in the order the keys were first seen.
    pub other: Vec<(String, usize)>,
}

impl ExportSummary {
    /// Counts one item of `feature`.
    pub fn count(&mut self, feature: &Feature) {
        self.items += 1;
        match feature.known_index() {
            Some(index) => self.per_feature[index] += 1,
            None => match self
                .other
                .iter_mut()
                .find(|(key, _)| key == feature.as_str())
            {
                Some((_, n)) => *n += 1,
                None => self.other.push((feature.as_str().to_owned(), 1)),
            },
        }
    }

    /// Items per feature: the four known ones (zero included), then the other keys.
    pub fn counts(&self) -> impl Iterator<Item = (&str, usize)> {
        Feature::ALL
            .iter()
            .zip(self.per_feature)
            .map(|(feature, n)| (feature.as_str(), n))
            .chain(self.other.iter().map(|(key, n)| (key.as_str(), *n)))
    }
}

/// A boxed stream of results, as the export methods return.
pub type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Error>> + Send + 'static>>;

/// An export of one user's data in one organization, not yet started. Made by
/// [`Client::export_user_data`]; nothing is sent until its stream is polled.
#[derive(Clone, Debug)]
#[must_use = "an export does nothing until its pages or items are read"]
pub struct Export {
    client: Client,
    organization_id: String,
    user_id: String,
    page_token: Option<String>,
    max_pages: Option<usize>,
}

/// A page of one of several exports run together by [`Export::concurrently`].
#[derive(Debug)]
pub struct UserPage {
    /// The user the page belongs to.
    pub user_id: String,
    /// The page, or why that user's export stopped (the other exports go on).
    pub page: Result<ExportPage, Error>,
}

impl Export {
    /// The organization this export reads.
    pub fn organization_id(&self) -> &str {
        &self.organization_id
    }

    /// The user this export reads.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Runs several exports at once, at most `concurrency` of them in flight, and yields
    /// their pages as they arrive, each tagged with its user.
    ///
    /// Each export's pages still come in order, and an export asks for its next page only
    /// after its previous one was taken from the stream, so at most `concurrency` pages are
    /// in memory. An export that fails yields its error and ends; the others go on. Exports
    /// start in the order given as earlier ones finish.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) {
    /// use futures::StreamExt;
    /// use velt_api::Export;
    ///
    /// let users = ["user-1", "user-2", "user-3"];
    /// let exports = users.map(|user| client.export_user_data("org-1", user));
    /// let mut pages = Export::concurrently(exports, 32);
    /// while let Some(page) = pages.next().await {
    ///     match page.page {
    ///         Ok(p) => println!("{}: {} items", page.user_id, p.len()),
    ///         Err(e) => eprintln!("{}: {e}", page.user_id),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn concurrently<I>(
        exports: I,
        concurrency: usize,
    ) -> Pin<Box<dyn Stream<Item = UserPage> + Send + 'static>>
    where
        I: IntoIterator<Item = Export>,
        I::IntoIter: Send + 'static,
    {
        let per_user = stream::iter(exports).map(|export| {
            let user_id = export.user_id.clone();
            export.pages().map(move |page| UserPage {
                user_id: user_id.clone(),
                page,
            })
        });
        Box::pin(per_user.flatten_unordered(concurrency.max(1)))
    }

    /// Starts at the page this token names instead of the first page, e.g. to resume an
    /// interrupted export from the last page token it saw.
    pub fn resume_from(mut self, page_token: impl Into<String>) -> Self {
        let token = page_token.into();
        self.page_token = (!token.is_empty()).then_some(token);
        self
    }

    /// Fails with [`PaginationError::PageCapReached`] instead of reading more than
    /// `max_pages` pages. A safety net against a server whose tokens never end; none by
    /// default.
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = Some(max_pages);
        self
    }

    /// Every page, in order.
    ///
    /// The stream ends after the page without a next token. It continues over empty pages
    /// that still carry a token. It fails, and ends, when the server repeats a token it gave
    /// before (following it would loop), when the page cap is reached, or when a call fails
    /// after its retries. Dropping the stream stops the export: no further request is sent.
    pub fn pages(self) -> BoxStream<ExportPage> {
        struct State {
            export: Export,
            seen: HashSet<String>,
            pages_read: usize,
            done: bool,
        }
        let state = State {
            seen: self.page_token.iter().cloned().collect(),
            export: self,
            pages_read: 0,
            done: false,
        };
        let pages = stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            let export = &state.export;
            if let Some(max_pages) = export.max_pages
                && state.pages_read >= max_pages
            {
                state.done = true;
                let error = pagination_error(PaginationError::PageCapReached { max_pages });
                return Some((Err(error), state));
            }
            let page = export
                .client
                .get_user_data_page(
                    &export.organization_id,
                    &export.user_id,
                    export.page_token.as_deref(),
                )
                .await;
            let page = match page {
                Ok(page) => page,
                Err(error) => {
                    state.done = true;
                    return Some((Err(error), state));
                }
            };
            state.pages_read += 1;
            match &page.next_page_token {
                None => state.done = true,
                Some(token) if !state.seen.insert(token.clone()) => {
                    state.done = true;
                    let error = pagination_error(PaginationError::RepeatedToken {
                        pages_read: state.pages_read,
                    });
                    tracing::warn!(%error, "stopping export");
                    return Some((Err(error), state));
                }
                Some(token) => state.export.page_token = Some(token.clone()),
            }
            Some((Ok(page), state))
        });
        Box::pin(pages)
    }

    /// Every item of every page, each tagged with its feature. Ends and fails as
    /// [`Export::pages`] does; the items of a page come before that page's successor is
    /// requested.
    pub fn items(self) -> BoxStream<ExportItem> {
        Box::pin(
            self.pages()
                .map_ok(|page| stream::iter(page.into_items().map(Ok)))
                .try_flatten(),
        )
    }

    /// The whole export in memory, the pages' lists joined (see [`UserData::from_items`]).
    /// For small users; for big ones, stream the items or use [`Export::write_ndjson`].
    pub async fn collect(self) -> Result<UserData, Error> {
        let items: Vec<ExportItem> = self.items().try_collect().await?;
        UserData::from_items(items)
    }

    /// Writes every item as one NDJSON line, `{"feature":"comments","item":{...}}`, holding
    /// one page in memory at a time. The writer is flushed at the end; an error stops the
    /// export where it happened and says what had been written.
    pub async fn write_ndjson<W: Write>(self, out: &mut W) -> Result<ExportSummary, Error> {
        let mut summary = ExportSummary::default();
        let mut pages = self.pages();
        while let Some(page) = pages.next().await {
            let page = page?;
            summary.pages += 1;
            for item in page.into_items() {
                write_ndjson_line(out, &item)?;
                summary.count(&item.feature);
            }
        }
        out.flush()
            .map_err(|e| Error::io("flushing the export", e))?;
        Ok(summary)
    }
}

/// Writes one item as an NDJSON line, `{"feature":NAME,"item":ITEM}`, the item's text
/// copied as Velt sent it.
///
/// JSON allows line breaks only as white space between tokens (never inside a string), so an
/// item that Velt sent over several lines has each line break written as a space: the line
/// stays one line and every token keeps its bytes.
pub fn write_ndjson_line<W: Write>(out: &mut W, item: &ExportItem) -> Result<(), Error> {
    write_line(out, None, item).map_err(|e| Error::io("writing an export line", e))
}

/// Writes one item as an NDJSON line that names its user,
/// `{"userId":USER,"feature":NAME,"item":ITEM}`, as [`write_ndjson_line`] does otherwise.
pub fn write_user_ndjson_line<W: Write>(
    out: &mut W,
    user_id: &str,
    item: &ExportItem,
) -> Result<(), Error> {
    write_line(out, Some(user_id), item).map_err(|e| Error::io("writing an export line", e))
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

fn pagination_error(kind: PaginationError) -> Error {
    Error::Pagination {
        operation: Operation::GetAllUserData,
        kind,
    }
}

impl Client {
    /// Get All User Data: one page of the user's data. `page_token` is `None` for the first
    /// page and the previous page's [`ExportPage::next_page_token`] after that.
    ///
    /// Most callers want [`Client::export_user_data`], which follows the tokens.
    pub async fn get_user_data_page(
        &self,
        organization_id: &str,
        user_id: &str,
        page_token: Option<&str>,
    ) -> Result<ExportPage, Error> {
        let invalid = |message| Error::InvalidInput {
            operation: Operation::GetAllUserData,
            message,
        };
        require_id("organization id", organization_id).map_err(invalid)?;
        require_id("user id", user_id).map_err(invalid)?;
        // Built through the generated builders, so that a new optional field in the spec
        // changes nothing here.
        let body = types::GetAllUserDataRequest::builder().data(
            types::GetAllUserDataRequestData::builder()
                .organization_id(organization_id)
                .user_id(user_id)
                .page_token(page_token.filter(|t| !t.is_empty()).map(str::to_owned)),
        );
        let response = self
            .call(Operation::GetAllUserData, |client| {
                let body = body.clone();
                async move { client.get_all_user_data().body(body).send().await }
            })
            .await?;
        let result = response.result;
        Ok(ExportPage {
            data: result.data,
            next_page_token: result.next_page_token.filter(|t| !t.is_empty()),
        })
    }

    /// Everything Velt holds about `user_id` in `organization_id`, page after page.
    ///
    /// ```no_run
    /// # async fn run(client: velt_api::Client) -> Result<(), velt_api::Error> {
    /// use futures::TryStreamExt;
    ///
    /// let mut items = client.export_user_data("org-1", "user-42").items();
    /// while let Some(item) = items.try_next().await? {
    ///     println!("{}: {}", item.feature, item.item);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn export_user_data(
        &self,
        organization_id: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Export {
        Export {
            client: self.clone(),
            organization_id: organization_id.into(),
            user_id: user_id.into(),
            page_token: None,
            max_pages: None,
        }
    }
}
