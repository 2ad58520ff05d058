//! Get All User Data as a stream: [`Export`], its pages through the crate's one pager, its
//! items, and several exports run together.

use std::{io::Write, sync::Arc};

use futures::{StreamExt, TryStreamExt, stream, stream::BoxStream};

use crate::{
    error::{Error, Operation, Result},
    export::{
        item::{ExportItem, ExportPage, ExportSummary, UserData},
        ndjson::{NdjsonWriter, WriteError},
    },
    generated::types,
    pager::{self, Cursor},
    transport::context::Transport,
    users::require_id,
};

/// An export of one user's data in one organization, not yet started. Made by
/// [`crate::Client::export_user_data`]; nothing is sent until its stream is polled.
#[derive(Clone, Debug)]
#[must_use = "an export does nothing until its pages or items are read"]
pub struct Export {
    transport: Arc<Transport>,
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
    pub(crate) fn new(
        transport: Arc<Transport>,
        organization_id: String,
        user_id: String,
    ) -> Export {
        Export {
            transport,
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
            transport,
            organization_id,
            user_id,
            cursor,
        } = self;
        pager::paginate(Operation::GetAllUserData, cursor, move |token| {
            let transport = Arc::clone(&transport);
            let organization_id = organization_id.clone();
            let user_id = user_id.clone();
            async move { get_page(&transport, &organization_id, &user_id, token.as_deref()).await }
        }, |page: &ExportPage| page.next_page_token.as_deref())
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
    /// end; an error stops the export where it happened: [`WriteError::Velt`] when the export
    /// failed, [`WriteError::Output`] when `out` did.
    pub async fn write_ndjson<W: Write>(self, out: &mut W) -> Result<ExportSummary, WriteError> {
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
    transport: &Arc<Transport>,
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
    let response = transport
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
