//! The one pager of the crate: every token-paginated call is read through [`paginate`].
//!
//! The cursor state (the token to send, the tokens seen, the pages read) lives here, apart
//! from the request, which the caller's `fetch` builds for a given token; items are an
//! adapter over pages, in the module of each call. Like smithy-rs's paginator it refuses to
//! loop, and more strictly: any token seen before ends the stream with an error, not only the
//! same token twice in a row.

use std::{collections::HashSet, sync::Arc};

use futures::{Stream, StreamExt, TryStreamExt, future::BoxFuture, stream, stream::BoxStream};

use crate::error::{Error, Operation, PaginationError, Result};

/// Where a pager starts and how far it may go.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The token of the first page to read; `None` for the first page of all.
    pub(crate) start: Option<String>,
    /// Fail with [`PaginationError::PageCapReached`] instead of reading more pages.
    pub(crate) max_pages: Option<usize>,
}

struct State<F, N> {
    fetch: F,
    next_token: N,
    operation: Operation,
    token: Option<String>,
    seen: HashSet<String>,
    pages_read: usize,
    max_pages: Option<usize>,
    done: bool,
}

/// Every page of `operation`, in order, as `fetch` reads the page of a token and
/// `next_token` finds the next page's token in a page (`None` on the last page).
///
/// The stream ends after the page without a next token and goes on over empty pages that
/// still carry one. It fails, and ends, when the server repeats a token it gave before
/// (following it would loop), when the page cap is reached while more pages are offered, or
/// when `fetch` fails. Dropping the stream stops it: no further request is sent.
pub(crate) fn paginate<P, F, Fut, N>(
    operation: Operation,
    cursor: Cursor,
    fetch: F,
    next_token: N,
) -> impl Stream<Item = Result<P>> + Send + 'static
where
    P: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<P>> + Send,
    N: Fn(&P) -> Option<&str> + Send + 'static,
{
    let state = State {
        fetch,
        next_token,
        operation,
        seen: cursor.start.iter().cloned().collect(),
        token: cursor.start,
        pages_read: 0,
        max_pages: cursor.max_pages,
        done: false,
    };
    stream::unfold(state, |mut state| async move {
        if state.done {
            return None;
        }
        if let Some(max_pages) = state.max_pages
            && state.pages_read >= max_pages
        {
            state.done = true;
            let error = Error::paging(
                state.operation,
                PaginationError::PageCapReached { max_pages },
            );
            return Some((Err(error), state));
        }
        let page = match (state.fetch)(state.token.clone()).await {
            Ok(page) => page,
            Err(error) => {
                state.done = true;
                return Some((Err(error), state));
            }
        };
        state.pages_read += 1;
        match (state.next_token)(&page) {
            None => state.done = true,
            Some(token) if !state.seen.insert(token.to_owned()) => {
                state.done = true;
                let error = Error::paging(
                    state.operation,
                    PaginationError::RepeatedToken {
                        pages_read: state.pages_read,
                    },
                );
                tracing::warn!(%error, "stopping");
                return Some((Err(error), state));
            }
            Some(token) => state.token = Some(token.to_owned()),
        }
        Some((Ok(page), state))
    })
}

/// The page of a token, the query checked before it is sent.
pub(crate) type Fetch<P> =
    Arc<dyn Fn(Option<String>) -> BoxFuture<'static, Result<P>> + Send + Sync>;

/// A token-paginated listing, not yet started ([`crate::users::OrganizationList`],
/// [`crate::users::UserList`], [`crate::stores::ActivityList`]): every page `P` through the
/// crate's one pager, or every item `I`.
#[must_use = "a listing does nothing until its pages or items are read"]
pub struct Listing<P, I> {
    operation: Operation,
    /// The page of a token, the query checked before it is sent.
    fetch: Fetch<P>,
    next_token: fn(&P) -> Option<&str>,
    items_of: fn(P) -> Vec<I>,
    cursor: Cursor,
}

impl<P, I> Clone for Listing<P, I> {
    fn clone(&self) -> Self {
        Listing {
            operation: self.operation,
            fetch: Arc::clone(&self.fetch),
            next_token: self.next_token,
            items_of: self.items_of,
            cursor: self.cursor.clone(),
        }
    }
}

impl<P, I> std::fmt::Debug for Listing<P, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listing")
            .field("operation", &self.operation)
            .field("cursor", &self.cursor)
            .finish()
    }
}

impl<P, I> Listing<P, I> {
    /// A listing of `operation` whose pages `fetch` reads, `next_token` finds the next token
    /// in, and `items_of` turns into items; from the first page, with no page cap.
    pub(crate) fn new(
        operation: Operation,
        fetch: Fetch<P>,
        next_token: fn(&P) -> Option<&str>,
        items_of: fn(P) -> Vec<I>,
    ) -> Self {
        Listing {
            operation,
            fetch,
            next_token,
            items_of,
            cursor: Cursor::default(),
        }
    }
}

impl<P: Send + 'static, I: Send + 'static> Listing<P, I> {
    /// Fails with [`crate::error::PaginationError::PageCapReached`] instead of reading more
    /// than `max_pages` pages; none by default.
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.cursor.max_pages = Some(max_pages);
        self
    }

    /// Every page, in order. The query is checked before the first request: more than 30
    /// ids, or a blank one, is an error of kind [`crate::ErrorKind::InvalidInput`]. Ends and
    /// fails as [`crate::export::Export::pages`] does (a repeated token, the page cap, a call
    /// that failed after its retries).
    pub fn pages(self) -> BoxStream<'static, Result<P>> {
        let Listing {
            operation,
            fetch,
            next_token,
            cursor,
            ..
        } = self;
        paginate(operation, cursor, move |token| fetch(token), next_token).boxed()
    }

    /// Every item of every page.
    pub fn items(self) -> BoxStream<'static, Result<I>> {
        let items_of = self.items_of;
        self.pages()
            .map_ok(move |page| stream::iter(items_of(page).into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }

    /// Every item, in memory.
    pub async fn collect(self) -> Result<Vec<I>> {
        self.items().try_collect().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    struct Numbered(Option<String>);

    /// Pages whose next tokens are `tokens`, in order, then a last page.
    async fn read(tokens: &[&str], cursor: Cursor) -> (usize, Option<Error>) {
        let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
        let mut index = 0;
        let pages = paginate(
            Operation::GetAllUserData,
            cursor,
            move |_token| {
                let next = tokens.get(index).cloned();
                index += 1;
                async move { Ok(Numbered(next)) }
            },
            |page: &Numbered| page.0.as_deref(),
        );
        let results: Vec<Result<Numbered>> = pages.collect().await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        (ok, results.into_iter().find_map(|r| r.err()))
    }

    #[tokio::test]
    async fn follows_tokens_to_the_last_page() {
        let (pages, error) = read(&["a", "b"], Cursor::default()).await;
        assert_eq!(pages, 3);
        assert!(error.is_none());
    }

    #[tokio::test]
    async fn any_repeated_token_stops_it_not_only_a_consecutive_one() {
        let (pages, error) = read(&["a", "b", "a"], Cursor::default()).await;
        assert_eq!(pages, 2);
        let error = error.expect("a repeated token is an error");
        assert_eq!(
            error.pagination(),
            Some(&PaginationError::RepeatedToken { pages_read: 3 })
        );
        // The start token counts as seen.
        let (_, error) = read(
            &["s"],
            Cursor {
                start: Some("s".into()),
                max_pages: None,
            },
        )
        .await;
        assert!(error.is_some());
    }

    #[tokio::test]
    async fn the_page_cap_stops_it_only_when_more_pages_are_offered() {
        let capped = Cursor {
            start: None,
            max_pages: Some(2),
        };
        let (pages, error) = read(&["a", "b"], capped.clone()).await;
        assert_eq!(pages, 2);
        assert_eq!(
            error.and_then(|e| e.pagination().cloned()),
            Some(PaginationError::PageCapReached { max_pages: 2 })
        );
        let (pages, error) = read(&["a"], capped).await;
        assert_eq!(pages, 2);
        assert!(error.is_none());
    }
}
