//! The HTTP client for observed sources given as URLs, on ureq without its default features:
//! plain `http://` only, `GET`, one request, no redirects (a 3xx answer is an error like any
//! other non-2xx one), no compression, no proxies (`http_proxy` and friends are ignored), no
//! cookies. Jaeger's query API, a collector's metrics endpoint and Consul's catalog are usually
//! reachable this way inside a network; anything else (TLS, authentication) is better fetched
//! with curl and passed as a file.
//!
//! Bounded in time and size: one deadline of [`ReadOptions::timeout`] covers the whole exchange
//! (host name resolution, connecting, sending, the headers and the whole body), and every read
//! and the connection set-up are held to it on their own too. The headers may take 64 KiB; a
//! body larger than [`ReadOptions::max_bytes`] is refused, up front when `Content-Length` says
//! so, otherwise as soon as one byte more than the limit has arrived (never buffered beyond it).

use std::io::ErrorKind;

use super::ReadOptions;

/// The most the status line and headers may take.
const HEADER_LIMIT: usize = 64 * 1024;

pub(super) fn get(url: &str, opts: &ReadOptions) -> Result<Vec<u8>, String> {
    let (url, authority) = checked(url)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        // Statuses, redirects and encodings are judged below, with Cairn's messages.
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .user_agent(concat!("cairn/", env!("CARGO_PKG_VERSION")))
        .accept("*/*")
        .accept_encoding("identity")
        .max_response_header_size(HEADER_LIMIT)
        .max_idle_connections(0)
        .timeout_global(Some(opts.timeout))
        .timeout_connect(Some(opts.timeout))
        .timeout_per_read(Some(opts.timeout))
        .timeout_per_write(Some(opts.timeout))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| failure(e, authority, opts, Stage::Answer))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!(
            "the server answered HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .trim_end()
        .to_string());
    }
    if let Some(v) = response.headers().get("content-encoding") {
        let v = String::from_utf8_lossy(v.as_bytes());
        if !v.trim().eq_ignore_ascii_case("identity") {
            return Err(format!(
                "the server sent a `{}`-encoded answer; only plain bodies are read",
                v.trim()
            ));
        }
    }
    let body = response.body_mut();
    if body.content_length().is_some_and(|n| n > opts.max_bytes) {
        return Err(too_large(opts.max_bytes));
    }
    body.with_config()
        .limit(opts.max_bytes)
        .read_to_vec()
        .map_err(|e| failure(e, authority, opts, Stage::Body))
}

/// The URL without its fragment, and its authority, after the checks that give their own
/// messages: `http://` only, a host, no credentials, no spaces or control characters.
fn checked(url: &str) -> Result<(&str, &str), String> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Err(
            "https URLs are not supported (plain http only); download the file and pass its path"
                .into(),
        );
    }
    if !lower.starts_with("http://") {
        return Err("not an http:// URL".into());
    }
    let url = url.split('#').next().unwrap_or(url);
    let rest = &url["http://".len()..];
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err("the URL needs a host (and no user:password@)".into());
    }
    if path.chars().any(|c| c.is_control() || c == ' ') {
        return Err("the URL contains spaces or control characters; percent-encode them".into());
    }
    Ok((url, authority))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Up to the end of the headers.
    Answer,
    /// Reading the body.
    Body,
}

/// A ureq error in the words the hand-written client used.
fn failure(e: ureq::Error, authority: &str, opts: &ReadOptions, stage: Stage) -> String {
    let late = || match stage {
        Stage::Answer => format!("no answer within {:?}", opts.timeout),
        Stage::Body => format!("no complete answer within {:?}", opts.timeout),
    };
    match e {
        ureq::Error::Timeout(_) => late(),
        ureq::Error::BodyExceedsLimit(_) => too_large(opts.max_bytes),
        ureq::Error::HostNotFound => format!("cannot resolve `{authority}`"),
        ureq::Error::LargeResponseHeader(..) => {
            format!("the server's headers are larger than {HEADER_LIMIT} bytes")
        }
        ureq::Error::Protocol(p) => match stage {
            Stage::Answer => format!("the server's answer is not HTTP: {p}"),
            Stage::Body => format!("the server's answer is malformed: {p}"),
        },
        ureq::Error::BadUri(m) => format!("not a usable URL: {m}"),
        ureq::Error::Http(h) => format!("not a usable URL: {h}"),
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::TimedOut | ErrorKind::WouldBlock => late(),
            ErrorKind::UnexpectedEof => match stage {
                Stage::Answer => "the server closed the connection without answering".into(),
                Stage::Body => "the connection closed before the whole answer arrived".into(),
            },
            ErrorKind::ConnectionRefused
            | ErrorKind::AddrNotAvailable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::HostUnreachable
                if stage == Stage::Answer =>
            {
                format!("cannot connect to `{authority}`: {io}")
            }
            _ => format!("connection failed: {io}"),
        },
        e => format!("connection failed: {e}"),
    }
}

fn too_large(limit: u64) -> String {
    format!(
        "the answer is larger than the limit of {limit} bytes; raise --max-file-size to read it"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Serves `response` (raw bytes) to one connection on a loopback port and closes it; returns
    /// the URL base and the request as the server received it.
    fn serve(response: &[u8]) -> (String, mpsc::Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let response = response.to_vec();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let mut request = Vec::new();
            let mut buf = [0u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let _ = tx.send(String::from_utf8_lossy(&request).into_owned());
            let _ = s.write_all(&response);
        });
        (base, rx)
    }

    fn fetch(response: &[u8], opts: &ReadOptions) -> Result<Vec<u8>, String> {
        let (base, _) = serve(response);
        get(&format!("{base}/x"), opts)
    }

    #[test]
    fn bodies() {
        let o = ReadOptions::default();
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(fetch(ok, &o).unwrap(), b"hello");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n";
        assert_eq!(fetch(chunked, &o).unwrap(), b"hello world");
        let until_close = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello";
        assert_eq!(fetch(until_close, &o).unwrap(), b"hello");
        let missing = b"HTTP/1.1 404 Not Found\r\n\r\n";
        assert_eq!(
            fetch(missing, &o).unwrap_err(),
            "the server answered HTTP 404 Not Found"
        );
        for (raw, msg) in [
            (
                &b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"[..],
                "closed before the whole answer",
            ),
            (b"SSH-2.0-OpenSSH\r\n\r\n", "not HTTP"),
            (b"", "without answering"),
            (
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nxx",
                "`gzip`-encoded",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                "malformed",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx\r\n",
                "closed before the whole answer",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                "closed before the whole answer",
            ),
        ] {
            let e = fetch(raw, &o).unwrap_err();
            assert!(e.contains(msg), "{:?}: {e}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn the_request_is_a_plain_get() {
        let (base, request) = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        get(
            &format!("{base}/api/dependencies?endTs=1#frag"),
            &ReadOptions::default(),
        )
        .unwrap();
        let request = request.recv().unwrap().to_ascii_lowercase();
        assert!(
            request.starts_with("get /api/dependencies?endts=1 http/1.1\r\n"),
            "{request}"
        );
        assert!(request.contains("\r\nuser-agent: cairn/"), "{request}");
        assert!(
            request.contains("\r\naccept-encoding: identity\r\n"),
            "{request}"
        );
    }

    #[test]
    fn redirects_are_not_followed() {
        for status in [
            "301 Moved Permanently",
            "302 Found",
            "307 Temporary Redirect",
        ] {
            let (elsewhere, seen) = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
            let answer = format!(
                "HTTP/1.1 {status}\r\nLocation: {elsewhere}/x\r\nContent-Length: 0\r\n\r\n"
            );
            let e = fetch(answer.as_bytes(), &ReadOptions::default()).unwrap_err();
            assert_eq!(e, format!("the server answered HTTP {status}"));
            assert!(seen.try_recv().is_err(), "the redirect was followed");
        }
    }

    #[test]
    fn bodies_over_the_limit_are_refused() {
        let o = ReadOptions {
            max_bytes: 10,
            ..Default::default()
        };
        let exactly = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
        assert_eq!(fetch(exactly, &o).unwrap(), b"0123456789");
        let announced = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n0123456789a";
        let until_close = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n0123456789a";
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n6789ab\r\n0\r\n\r\n";
        for raw in [&announced[..], until_close, chunked] {
            assert_eq!(
                fetch(raw, &o).unwrap_err(),
                "the answer is larger than the limit of 10 bytes; raise --max-file-size to read it"
            );
        }
        // Headers have their own bound.
        let mut huge = b"HTTP/1.1 200 OK\r\nX-Filler: ".to_vec();
        huge.resize(huge.len() + 70_000, b'a');
        huge.extend_from_slice(b"\r\nContent-Length: 0\r\n\r\n");
        assert!(fetch(&huge, &o).unwrap_err().contains("headers are larger"));
    }

    #[test]
    fn a_body_that_stops_coming_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/x", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let _ = s.read(&mut [0u8; 4096]);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst bytes");
            // Holds the connection open, silent, until the client gives up and closes it.
            let _ = s.read(&mut [0u8; 1]);
        });
        let o = ReadOptions {
            timeout: Duration::from_millis(300),
            ..Default::default()
        };
        let e = get(&url, &o).unwrap_err();
        assert!(e.starts_with("no complete answer within"), "{e}");
    }

    #[test]
    fn an_unreachable_server_is_named() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let authority = listener.local_addr().unwrap().to_string();
        drop(listener);
        let e = get(&format!("http://{authority}/x"), &ReadOptions::default()).unwrap_err();
        assert!(
            e.starts_with(&format!("cannot connect to `{authority}`: ")),
            "{e}"
        );
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
