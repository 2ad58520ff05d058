//! The floor: a minimal hand-written reqwest + serde_json loop sending the same requests as
//! the crate (same body, same headers), decoding each page into a `serde_json::Value`.

use std::{error::Error, io::Write};

use bytes::Bytes;
use serde_json::{Map, Value, json};

/// The result type of the bench: any error, with a message good enough for a benchmark.
pub type BenchResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The four arrays of a page.
const FEATURES: [&str; 4] = ["comments", "reactions", "recordings", "notifications"];

/// A raw client of Get All User Data.
pub struct Raw {
    http: reqwest::Client,
    url: String,
    api_key: String,
    auth_token: String,
}

impl Raw {
    /// One `reqwest::Client` for `base_url` with these credentials. The user agent and the
    /// `accept` header are the crate's, so both clients send the same headers.
    pub fn new(base_url: &str, api_key: &str, auth_token: &str) -> BenchResult<Raw> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            // velt-api's default user agent, `velt-api/<version>`.
            .user_agent("velt-api/0.1.0")
            .build()?;
        Ok(Raw {
            http,
            url: format!("{}/v2/users/data/get", base_url.trim_end_matches('/')),
            api_key: api_key.to_owned(),
            auth_token: auth_token.to_owned(),
        })
    }

    /// The raw body of one page.
    pub async fn page_bytes(
        &self,
        organization_id: &str,
        user_id: &str,
        page_token: Option<&str>,
    ) -> BenchResult<Bytes> {
        // The crate's field order, so that the bodies are the same bytes.
        let mut data = Map::new();
        data.insert("organizationId".into(), json!(organization_id));
        if let Some(token) = page_token {
            data.insert("pageToken".into(), json!(token));
        }
        data.insert("userId".into(), json!(user_id));
        let body = serde_json::to_vec(&json!({ "data": data }))?;
        let response = self
            .http
            .post(&self.url)
            .header("x-velt-api-key", &self.api_key)
            .header("x-velt-auth-token", &self.auth_token)
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?
            .error_for_status()?;
        Ok(response.bytes().await?)
    }

    /// One page: its item count and the next page token. With `out`, each item is also
    /// written as an NDJSON line `{"feature":NAME,"item":ITEM}`, as the crate's
    /// `write_ndjson` does (here from the decoded `Value`, as a hand-written loop would).
    pub async fn page(
        &self,
        organization_id: &str,
        user_id: &str,
        page_token: Option<&str>,
        mut out: Option<&mut dyn Write>,
    ) -> BenchResult<(usize, Option<String>)> {
        let bytes = self
            .page_bytes(organization_id, user_id, page_token)
            .await?;
        let value: Value = serde_json::from_slice(&bytes)?;
        let result = &value["result"];
        let mut items = 0;
        for feature in FEATURES {
            let list = result["data"][feature]
                .as_array()
                .ok_or_else(|| format!("page without a {feature} array"))?;
            items += list.len();
            if let Some(out) = out.as_mut() {
                for item in list {
                    write!(out, "{{\"feature\":\"{feature}\",\"item\":")?;
                    serde_json::to_writer(&mut *out, item)?;
                    out.write_all(b"}\n")?;
                }
            }
        }
        let next = match &result["nextPageToken"] {
            Value::String(token) if !token.is_empty() => Some(token.clone()),
            _ => None,
        };
        Ok((items, next))
    }

    /// The whole export, following the tokens, its lines written to `out` if given:
    /// (items, pages).
    pub async fn export(
        &self,
        organization_id: &str,
        user_id: &str,
        mut out: Option<&mut dyn Write>,
    ) -> BenchResult<(usize, usize)> {
        let mut token: Option<String> = None;
        let (mut items, mut pages) = (0, 0);
        loop {
            let (n, next) = self
                .page(
                    organization_id,
                    user_id,
                    token.as_deref(),
                    out.as_mut().map(|o| &mut **o as &mut dyn Write),
                )
                .await?;
            items += n;
            pages += 1;
            match next {
                Some(next) => token = Some(next),
                None => return Ok((items, pages)),
            }
        }
    }
}
