//! Get All User Data: one page, every page as a stream, every item as a stream, and whole
//! exports collected or written out.

use std::{collections::HashSet, fmt, io::Write, pin::Pin};

use futures::{Stream, StreamExt, TryStreamExt, stream};
use serde::{Deserialize, Serialize};

use crate::{Client, Error, Operation, PaginationError, types, users::require_id};

/// The kinds of data an export holds, in the order Velt lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Feature {
    /// Comment annotations the user created or took part in.
    Comments,
    /// Reactions the user created.
    Reactions,
    /// Recordings the user created.
    Recordings,
    /// Notifications the user was involved in.
    Notifications,
}

impl Feature {
    /// All four, in Velt's order.
    pub const ALL: [Feature; 4] = [
        Feature::Comments,
        Feature::Reactions,
        Feature::Recordings,
        Feature::Notifications,
    ];

    /// The field name in Velt's answer, e.g. `comments`.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Comments => "comments",
            Feature::Reactions => "reactions",
            Feature::Recordings => "recordings",
            Feature::Notifications => "notifications",
        }
    }

    /// This feature's list in a page.
    pub fn items(self, data: &types::UserDataPage) -> &Vec<types::UserDataItem> {
        match self {
            Feature::Comments => &data.comments,
            Feature::Reactions => &data.reactions,
            Feature::Recordings => &data.recordings,
            Feature::Notifications => &data.notifications,
        }
    }

    /// This feature's list in a page, to change.
    pub fn items_mut(self, data: &mut types::UserDataPage) -> &mut Vec<types::UserDataItem> {
        match self {
            Feature::Comments => &mut data.comments,
            Feature::Reactions => &mut data.reactions,
            Feature::Recordings => &mut data.recordings,
            Feature::Notifications => &mut data.notifications,
        }
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One page of a user's data: up to 100 items of each feature, and the token of the next
/// page.
///
/// Items are kept exactly as Velt sent them, as JSON objects, unknown fields and all.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportPage {
    /// The four lists of this page.
    pub data: types::UserDataPage,
    /// The token of the next page; `None` on the last page (Velt's absent, `null` and empty
    /// token all read as `None`).
    pub next_page_token: Option<String>,
}

impl ExportPage {
    /// How many items the page holds, all features together.
    pub fn len(&self) -> usize {
        Feature::ALL.iter().map(|f| f.items(&self.data).len()).sum()
    }

    /// True when the page holds no item (a page may be empty and still have a next page).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items of the page, each tagged with its feature, feature by feature.
    pub fn into_items(self) -> impl Iterator<Item = ExportItem> {
        let types::UserDataPage {
            comments,
            reactions,
            recordings,
            notifications,
        } = self.data;
        [
            (Feature::Comments, comments),
            (Feature::Reactions, reactions),
            (Feature::Recordings, recordings),
            (Feature::Notifications, notifications),
        ]
        .into_iter()
        .flat_map(|(feature, items)| {
            items
                .into_iter()
                .map(move |item| ExportItem { feature, item })
        })
    }
}

/// One exported item and the feature it belongs to. Serializes as
/// `{"feature":"comments","item":{...}}`, the line format of NDJSON exports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportItem {
    /// Which list the item came from.
    pub feature: Feature,
    /// The item, exactly as Velt sent it.
    pub item: types::UserDataItem,
}

/// Counts of what an export wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Pages read.
    pub pages: usize,
    /// Items written, all features together.
    pub items: usize,
    /// Items written per feature, in [`Feature::ALL`] order.
    pub per_feature: [usize; 4],
}

impl ExportSummary {
    fn count(&mut self, feature: Feature) {
        self.items += 1;
        self.per_feature[feature as usize] += 1;
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

    /// The whole export in memory, the pages' lists joined. For small users; for big ones,
    /// stream the items or use [`Export::write_ndjson`].
    pub async fn collect(self) -> Result<types::UserDataPage, Error> {
        let mut all = types::UserDataPage::default();
        let mut pages = self.pages();
        while let Some(page) = pages.next().await {
            let mut page = page?;
            for feature in Feature::ALL {
                feature
                    .items_mut(&mut all)
                    .append(feature.items_mut(&mut page.data));
            }
        }
        Ok(all)
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
                summary.count(item.feature);
            }
        }
        out.flush()
            .map_err(|e| Error::io("flushing the export", e))?;
        Ok(summary)
    }
}

/// Writes one item as an NDJSON line.
pub fn write_ndjson_line<W: Write>(out: &mut W, item: &ExportItem) -> Result<(), Error> {
    serde_json::to_writer(&mut *out, item)
        .map_err(|e| Error::io("writing an export line", e.into()))?;
    out.write_all(b"\n")
        .map_err(|e| Error::io("writing an export line", e))
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
        let body = types::GetAllUserDataRequest {
            data: types::GetAllUserDataRequestData {
                organization_id: organization_id.to_owned(),
                user_id: user_id.to_owned(),
                page_token: page_token.filter(|t| !t.is_empty()).map(str::to_owned),
            },
        };
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
    ///     println!("{}: {}", item.feature, serde_json::Value::Object(item.item.0));
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
