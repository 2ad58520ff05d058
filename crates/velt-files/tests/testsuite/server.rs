//! A small HTTP/1.1 file server on loopback for the tests and the benchmark: it answers each
//! request from a route function, one request per connection, and records every connection
//! and every request (path and headers), so that a test can say that nothing reached it.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    /// Header names lower-cased, values as sent.
    pub headers: Vec<(String, String)>,
}

/// What the server sends back.
#[derive(Debug, Clone)]
pub enum Body {
    Bytes(Vec<u8>),
    /// `len` bytes of `byte`, written from a small buffer (for large files).
    Repeat {
        byte: u8,
        len: u64,
    },
    /// The head, then nothing for this long, then the connection closes.
    Stall(Duration),
}

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// Send `Content-Length` (the body's length, or this value when `Some(Some(n))`);
    /// `None`: no `Content-Length`, the end of the body is the end of the connection.
    pub content_length: Option<Option<u64>>,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: Body::Bytes(body.into()),
            content_length: Some(None),
        }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: Body::Bytes(format!("status {status}").into_bytes()),
            content_length: Some(None),
        }
    }

    pub fn redirect(location: &str) -> Self {
        Self {
            status: 302,
            headers: vec![("location".into(), location.into())],
            body: Body::Bytes(Vec::new()),
            content_length: Some(None),
        }
    }

    /// Without `Content-Length`: the client learns the size only by reading.
    pub fn unannounced(mut self) -> Self {
        self.content_length = None;
        self
    }

    /// With a `Content-Length` of `n`, whatever the body.
    pub fn announcing(mut self, n: u64) -> Self {
        self.content_length = Some(Some(n));
        self
    }

    fn length(&self) -> u64 {
        match &self.body {
            Body::Bytes(b) => b.len() as u64,
            Body::Repeat { len, .. } => *len,
            Body::Stall(_) => 1_000_000,
        }
    }
}

type Route = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct Server {
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Starts a server on `127.0.0.1`, on a port of its own.
    pub async fn start(route: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let route: Arc<Route> = Arc::new(route);
        let task = tokio::spawn({
            let requests = requests.clone();
            let connections = connections.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    tokio::spawn(serve(stream, route.clone(), requests.clone()));
                }
            }
        });
        Self {
            port,
            requests,
            connections,
            task,
        }
    }

    /// A server that answers every path with `status`.
    pub async fn answering(status: u16) -> Self {
        Self::start(move |_| Reply::status(status)).await
    }

    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn hits(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// Connections accepted, whether or not a request came over them.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn serve(mut stream: TcpStream, route: Arc<Route>, requests: Arc<Mutex<Vec<Request>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_owned();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let request = Request { path, headers };
    requests.lock().unwrap().push(request.clone());
    let reply = route(&request);

    let mut out = format!("HTTP/1.1 {} X\r\nconnection: close\r\n", reply.status);
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(announced) = reply.content_length {
        let n = announced.unwrap_or_else(|| reply.length());
        out.push_str(&format!("content-length: {n}\r\n"));
    }
    out.push_str("\r\n");
    if stream.write_all(out.as_bytes()).await.is_err() {
        return;
    }
    match reply.body {
        Body::Bytes(bytes) => {
            let _ = stream.write_all(&bytes).await;
        }
        Body::Repeat { byte, len } => {
            let chunk = vec![byte; 64 * 1024];
            let mut left = len;
            while left > 0 {
                let n = left.min(chunk.len() as u64) as usize;
                if stream.write_all(&chunk[..n]).await.is_err() {
                    return;
                }
                left -= n as u64;
            }
        }
        Body::Stall(pause) => {
            let _ = stream.write_all(b"first bytes").await;
            tokio::time::sleep(pause).await;
        }
    }
    let _ = stream.shutdown().await;
}
