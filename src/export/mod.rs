//! Exports (GDPR access): Get All User Data as pages, items, one collected [`UserData`] or
//! NDJSON lines, items kept as the exact JSON text Velt sent ([`RawItem`]).
//!
//! Start one with [`crate::Client::export_user_data`].

mod item;
mod ndjson;

use std::{fmt, io::Write, sync::Arc};

use futures::{StreamExt, TryStreamExt, stream, stream::BoxStream};
use serde::{Deserialize, Serialize};

pub use item::{RawItem, UserData};
pub use ndjson::NdjsonWriter;

use crate::{
    Client, Error, Operation, Result,
    pager::{self, Cursor, Page},
    types,
    users::require_id,
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
    pub(crate) fn known_index(&self) -> Option<usize> {
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

impl Page for ExportPage {
    fn next_page_token(&self) -> Option<&str> {
        self.next_page_token.as_deref()
    }
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

    /// Counts a page read and every item on it, without writing anything.
    pub fn count_page(&mut self, page: &ExportPage) {
        self.pages += 1;
        for (feature, list) in Feature::ALL.iter().zip([
            &page.data.comments,
            &page.data.reactions,
            &page.data.recordings,
            &page.data.notifications,
        ]) {
            for _ in list {
                self.count(feature);
            }
        }
        for (key, value) in &page.data.other {
            let feature = Feature::from_key(key);
            for _ in 0..item::other_len(value) {
                self.count(&feature);
            }
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

/// An export of one user's data in one organization, not yet started. Made by
/// [`Client::export_user_data`]; nothing is sent until its stream is polled.
#[derive(Clone, Debug)]
#[must_use = "an export does nothing until its pages or items are read"]
pub struct Export {
    client: Client,
    organization_id: String,
    user_id: String,
    cursor: Cursor,
}

/// A page of one of several exports run together by [`Export::concurrently`].
#[derive(Debug)]
pub struct UserPage {
    /// The user the page belongs to.
    pub user_id: String,
    /// The page, or why that user's export stopped (the other exports go on).
    pub page: Result<ExportPage>,
}

impl Export {
    pub(crate) fn new(client: Client, organization_id: String, user_id: String) -> Export {
        Export {
            client,
            organization_id,
            user_id,
            cursor: Cursor::default(),
        }
    }

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
    /// use velt_api::export::Export;
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
    pub fn concurrently<I>(exports: I, concurrency: usize) -> BoxStream<'static, UserPage>
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
        self.cursor.start = (!token.is_empty()).then_some(token);
        self
    }

    /// Fails with [`crate::error::PaginationError::PageCapReached`] instead of reading more than
    /// `max_pages` pages. A safety net against a server whose tokens never end; none by
    /// default.
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.cursor.max_pages = Some(max_pages);
        self
    }

    /// Every page, in order.
    ///
    /// The stream ends after the page without a next token. It continues over empty pages
    /// that still carry a token. It fails, and ends, when the server repeats a token it gave
    /// before (following it would loop), when the page cap is reached, or when a call fails
    /// after its retries. Dropping the stream stops the export: no further request is sent.
    pub fn pages(self) -> BoxStream<'static, Result<ExportPage>> {
        let Export {
            client,
            organization_id,
            user_id,
            cursor,
        } = self;
        pager::paginate(Operation::GetAllUserData, cursor, move |token| {
            let client = client.clone();
            let organization_id = organization_id.clone();
            let user_id = user_id.clone();
            async move { get_page(&client, &organization_id, &user_id, token.as_deref()).await }
        })
        .boxed()
    }

    /// Every item of every page, each tagged with its feature. Ends and fails as
    /// [`Export::pages`] does; the items of a page come before that page's successor is
    /// requested.
    pub fn items(self) -> BoxStream<'static, Result<ExportItem>> {
        self.pages()
            .map_ok(|page| stream::iter(page.into_items().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// The whole export in memory, the pages' lists joined (see [`UserData::from_items`]).
    /// For small users; for big ones, stream the items or use [`Export::write_ndjson`].
    pub async fn collect(self) -> Result<UserData> {
        let items: Vec<ExportItem> = self.items().try_collect().await?;
        UserData::from_items(items)
    }

    /// Writes every item as one NDJSON line, `{"feature":"comments","item":{...}}` (see
    /// [`NdjsonWriter`]), holding one page in memory at a time. The writer is flushed at the
    /// end; an error stops the export where it happened.
    pub async fn write_ndjson<W: Write>(self, out: &mut W) -> Result<ExportSummary> {
        let mut writer = NdjsonWriter::new(out);
        let mut pages = self.pages();
        while let Some(page) = pages.next().await {
            writer.write_page(None, page?)?;
        }
        writer.flush()?;
        Ok(writer.into_parts().1)
    }

    /// Reads every page and counts its items without keeping or writing them: what the
    /// export would hold (the proof of erasure counts with it).
    pub async fn summarize(self) -> Result<ExportSummary> {
        let mut summary = ExportSummary::default();
        let mut pages = self.pages();
        while let Some(page) = pages.next().await {
            summary.count_page(&page?);
        }
        Ok(summary)
    }
}

/// Get All User Data: one page, checked before it is sent.
pub(crate) async fn get_page(
    client: &Client,
    organization_id: &str,
    user_id: &str,
    page_token: Option<&str>,
) -> Result<ExportPage> {
    let invalid = |message| Error::invalid_input(Operation::GetAllUserData, message);
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
    let response = client
        .call(Operation::GetAllUserData, |generated| {
            let body = body.clone();
            async move { generated.get_all_user_data().body(body).send().await }
        })
        .await?;
    let result = response.result;
    Ok(ExportPage {
        data: result.data,
        next_page_token: result.next_page_token.filter(|t| !t.is_empty()),
    })
}
