//! A minimal blocking HTTP/1.1 client for talking to local nodes' JSON APIs (loopback only):
//! one request per connection, bounded response size, timeouts on every socket operation.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

const MAX_RESPONSE: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("malformed HTTP response from {0}")]
    Malformed(SocketAddr),
    #[error("HTTP {status} from {addr}: {body}")]
    Status { addr: SocketAddr, status: u16, body: String },
    #[error("response body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
}

fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    timeout: Duration,
) -> Result<String, HttpError> {
    let body = body.unwrap_or("").as_bytes();
    request_bytes(addr, method, path, ("application/json", body), timeout)
}

fn request_bytes(
    addr: SocketAddr,
    method: &str,
    path: &str,
    (content_type, body): (&str, &[u8]),
    timeout: Duration,
) -> Result<String, HttpError> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    let mut buf = Vec::new();
    s.take(MAX_RESPONSE as u64).read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let (head, rest) = text.split_once("\r\n\r\n").ok_or(HttpError::Malformed(addr))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or(HttpError::Malformed(addr))?;
    let chunked = head.to_ascii_lowercase().contains("transfer-encoding: chunked");
    let payload =
        if chunked { dechunk(rest).ok_or(HttpError::Malformed(addr))? } else { rest.to_string() };
    if !(200..300).contains(&status) {
        return Err(HttpError::Status { addr, status, body: payload });
    }
    Ok(payload)
}

fn dechunk(mut s: &str) -> Option<String> {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n")?;
        let n = usize::from_str_radix(size.trim(), 16).ok()?;
        if n == 0 {
            return Some(out);
        }
        out.push_str(rest.get(..n)?);
        s = rest.get(n + 2..)?;
    }
}

pub fn get(addr: SocketAddr, path: &str) -> Result<Value, HttpError> {
    Ok(serde_json::from_str(&get_text(addr, path)?)?)
}

/// A GET whose body is not JSON (Prometheus metrics, say).
pub fn get_text(addr: SocketAddr, path: &str) -> Result<String, HttpError> {
    request(addr, "GET", path, None, Duration::from_secs(5))
}

pub fn post(addr: SocketAddr, path: &str, body: &Value) -> Result<Value, HttpError> {
    let text = request(addr, "POST", path, Some(&body.to_string()), Duration::from_secs(10))?;
    Ok(serde_json::from_str(&text)?)
}

/// A POST of binary bytes (`application/octet-stream`), e.g. a canonical `TransactionBatch` to
/// `/transactions/batch`; the answer is JSON.
pub fn post_binary(addr: SocketAddr, path: &str, body: &[u8]) -> Result<Value, HttpError> {
    let body = ("application/octet-stream", body);
    let text = request_bytes(addr, "POST", path, body, Duration::from_secs(10))?;
    Ok(serde_json::from_str(&text)?)
}
