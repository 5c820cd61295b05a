//! A deliberately small HTTP/1.1 client for observed sources given as URLs: plain `http://`
//! only, `GET`, one connection, no redirects, no compression, no proxies. Jaeger's query API,
//! a collector's metrics endpoint and Consul's catalog are usually reachable this way inside a
//! network; anything else (TLS, authentication) is better fetched with curl and passed as a file.
//!
//! Bounded in time and size: connecting, every read and the whole exchange stop at the
//! timeout; a body larger than the limit is refused. Host name resolution is the system's
//! (std offers no timeout for it).

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Instant;

use super::ReadOptions;

/// Room for the status line and headers on top of the body limit.
const HEADER_ALLOWANCE: u64 = 64 * 1024;

pub(super) fn get(url: &str, opts: &ReadOptions) -> Result<Vec<u8>, String> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Err(
            "https URLs are not supported (plain http only); download the file and pass its path"
                .into(),
        );
    }
    let rest = url.get("http://".len()..).ok_or("not an http:// URL")?;
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let path = path.split('#').next().unwrap_or("");
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    if authority.is_empty() || authority.contains('@') {
        return Err("the URL needs a host (and no user:password@)".into());
    }
    if path.chars().any(|c| c.is_control() || c == ' ') {
        return Err("the URL contains spaces or control characters; percent-encode them".into());
    }
    let host_port = if authority.starts_with('[') {
        // [v6]:port
        if authority.ends_with(']') {
            format!("{authority}:80")
        } else {
            authority.to_string()
        }
    } else if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let started = Instant::now();
    let addrs: Vec<_> = host_port
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve `{authority}`: {e}"))?
        .collect();
    let mut last_err = format!("`{authority}` has no address");
    let mut stream = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, opts.timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_err = format!("cannot connect to {a}: {e}"),
        }
    }
    let mut stream = stream.ok_or(last_err)?;
    let io = |e: std::io::Error| {
        if matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) {
            format!("no answer within {:?}", opts.timeout)
        } else {
            format!("connection failed: {e}")
        }
    };
    stream.set_read_timeout(Some(opts.timeout)).map_err(io)?;
    stream.set_write_timeout(Some(opts.timeout)).map_err(io)?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: cairn/{}\r\nAccept: */*\r\n\
         Accept-Encoding: identity\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    );
    stream.write_all(request.as_bytes()).map_err(io)?;
    let limit = opts.max_bytes + HEADER_ALLOWANCE;
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        if started.elapsed() > opts.timeout {
            return Err(format!("no complete answer within {:?}", opts.timeout));
        }
        let n = stream.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() as u64 > limit {
            return Err(format!(
                "the answer is larger than the limit of {} bytes; raise --max-file-size to read it",
                opts.max_bytes
            ));
        }
    }
    let body = response_body(&raw)?;
    if body.len() as u64 > opts.max_bytes {
        return Err(format!(
            "the answer is larger than the limit of {} bytes; raise --max-file-size to read it",
            opts.max_bytes
        ));
    }
    Ok(body)
}

/// The body of a complete HTTP/1.x response, checked for a 2xx status.
fn response_body(raw: &[u8]) -> Result<Vec<u8>, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("the server's answer is not HTTP (no end of headers)")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "the server's headers are not text")?;
    let body = &raw[end + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| format!("the server's answer is not HTTP: `{status_line}`"))?;
    let reason = parts.next().unwrap_or("");
    if !(200..300).contains(&status) {
        return Err(format!("the server answered HTTP {status} {reason}")
            .trim_end()
            .to_string());
    }
    let mut chunked = false;
    let mut length: Option<usize> = None;
    for h in lines {
        let Some((k, v)) = h.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        match k.as_str() {
            "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
            "content-length" => length = v.parse().ok(),
            "content-encoding" if !v.eq_ignore_ascii_case("identity") => {
                return Err(format!(
                    "the server sent a `{v}`-encoded answer; only plain bodies are read"
                ));
            }
            _ => {}
        }
    }
    if chunked {
        return dechunk(body);
    }
    match length {
        Some(n) if body.len() < n => Err(format!(
            "the connection closed after {} of {n} bytes",
            body.len()
        )),
        Some(n) => Ok(body[..n].to_vec()),
        None => Ok(body.to_vec()),
    }
}

/// Decodes `Transfer-Encoding: chunked`.
fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunked answer")?;
        let size_text = std::str::from_utf8(&data[..eol]).map_err(|_| "bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size `{size_text}`"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        let end = size
            .checked_add(2)
            .filter(|&e| e <= data.len())
            .ok_or("truncated chunked answer")?;
        out.extend_from_slice(&data[..size]);
        data = &data[end..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(response_body(ok).unwrap(), b"hello");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n";
        assert_eq!(response_body(chunked).unwrap(), b"hello world");
        let missing = b"HTTP/1.1 404 Not Found\r\n\r\n";
        assert_eq!(
            response_body(missing).unwrap_err(),
            "the server answered HTTP 404 Not Found"
        );
        assert!(response_body(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort").is_err());
        assert!(response_body(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(response_body(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nxx").is_err());
        assert!(dechunk(b"zz\r\n").is_err());
        assert!(dechunk(b"ffffffffffffffff\r\nx\r\n").is_err());
    }

    #[test]
    fn refuses_what_it_cannot_fetch() {
        let o = ReadOptions::default();
        assert!(get("https://example.org/x", &o)
            .unwrap_err()
            .contains("plain http only"));
        assert!(get("http:///x", &o).unwrap_err().contains("needs a host"));
        assert!(get("http://u:p@h/x", &o)
            .unwrap_err()
            .contains("needs a host"));
    }
}
