//! A tiny W3C WebDriver client: just the commands the browser test needs, spoken to a local
//! chromedriver over plain HTTP/1.1 on `std::net::TcpStream` with `serde_json` bodies.
//!
//! Test code, so a failed command panics with the command, the URL and WebDriver's message
//! (`#[track_caller]` points at the scenario line). It talks to loopback only and never
//! leaves a browser behind: dropping a [`Session`] deletes it and then kills chromedriver.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// W3C's key for an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The Enter key, in WebDriver's private-use key encoding.
pub const ENTER: &str = "\u{E007}";
pub const ESCAPE: &str = "\u{E00C}";

/// Where the browser and its driver are; both must exist.
pub struct BrowserConfig {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
    pub window: (u32, u32),
    /// `false` starts the browser with scripts disabled, as a reader who blocks them.
    pub javascript: bool,
    /// Where to save a screenshot when the test fails while the session is open.
    pub failure_screenshot: Option<PathBuf>,
}

/// A running chromedriver; killed when dropped.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

/// A browser session; dropping it deletes the session, then kills chromedriver, even while a
/// failed assertion unwinds.
pub struct Session {
    id: String,
    // Field order matters: the profile directory is removed after the driver (and with it
    // the browser) is gone.
    driver: Driver,
    _workdir: tempfile::TempDir,
    failure_screenshot: Option<PathBuf>,
}

/// A reference to an element of the current page.
pub struct Element<'s> {
    session: &'s Session,
    id: String,
    what: String,
}

/// A WebDriver error (`{"value": {"error", "message"}}`) or a transport failure.
#[derive(Debug)]
pub struct WdError {
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first_line = self.message.lines().next().unwrap_or("");
        write!(f, "{}: {first_line}", self.error)
    }
}

impl Session {
    /// Starts chromedriver on a free loopback port and opens a headless Chromium session with a
    /// fresh profile. Panics with an install hint when either binary is missing.
    pub fn start(cfg: &BrowserConfig) -> Session {
        for (what, path) in [
            ("chromium", &cfg.chromium),
            ("chromedriver", &cfg.chromedriver),
        ] {
            assert!(
                path.is_file(),
                "{what} not found at {}: the e2e test needs Chromium and ChromeDriver \
                 (Debian: `apt-get install -y chromium chromium-driver`; or set CAIRN_CHROMIUM / \
                 CAIRN_CHROMEDRIVER)",
                path.display()
            );
        }
        let workdir = tempfile::tempdir().expect("temp dir for the browser profile");
        let driver = Driver::spawn(&cfg.chromedriver, workdir.path());
        let profile = workdir.path().join("profile");
        let (w, h) = cfg.window;
        // These flags keep Chromium from phoning home (refused here, slow everywhere) and let it
        // run as root in a container with a small /dev/shm.
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            format!("--window-size={w},{h}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut args = args;
        if !cfg.javascript {
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": { "implicit": 0, "pageLoad": 30_000, "script": 10_000 },
                    "goog:chromeOptions": {
                        "binary": cfg.chromium.to_string_lossy(),
                        "args": args,
                    },
                    "goog:loggingPrefs": { "browser": "ALL" },
                }
            }
        });
        let value = match driver.call("POST", "/session", Some(&caps)) {
            Ok(v) => v,
            Err(e) => panic!(
                "cannot start headless Chromium ({}) through chromedriver: {e}\n{}",
                cfg.chromium.display(),
                driver.log_tail()
            ),
        };
        let id = value["sessionId"]
            .as_str()
            .expect("new session has an id")
            .to_string();
        Session {
            id,
            driver,
            _workdir: workdir,
            failure_screenshot: cfg.failure_screenshot.clone(),
        }
    }

    /// Sends one command of this session, e.g. `("POST", "url", {...})`.
    pub fn call(
        &self,
        method: &str,
        command: &str,
        body: Option<&Value>,
    ) -> Result<Value, WdError> {
        let path = if command.is_empty() {
            format!("/session/{}", self.id)
        } else {
            format!("/session/{}/{command}", self.id)
        };
        self.driver.call(method, &path, body)
    }

    #[track_caller]
    fn must(&self, method: &str, command: &str, body: Option<&Value>) -> Value {
        self.call(method, command, body).unwrap_or_else(|e| {
            panic!(
                "webdriver {method} {command} failed: {e}\n(page: {})",
                self.current_url()
            )
        })
    }

    #[track_caller]
    pub fn goto(&self, url: &str) {
        self.must("POST", "url", Some(&json!({ "url": url })));
    }

    /// The current URL, or a placeholder when even that fails (used in panic messages).
    pub fn current_url(&self) -> String {
        match self.call("GET", "url", None) {
            Ok(v) => v.as_str().unwrap_or_default().to_string(),
            Err(e) => format!("<unknown: {e}>"),
        }
    }

    #[track_caller]
    pub fn title(&self) -> String {
        self.must("GET", "title", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The first element matching a CSS selector, or `None`.
    pub fn try_find(&self, css: &str) -> Option<Element<'_>> {
        self.find_by("css selector", css).into_iter().next()
    }

    /// The first element matching a CSS selector; panics when there is none.
    #[track_caller]
    pub fn find(&self, css: &str) -> Element<'_> {
        self.try_find(css)
            .unwrap_or_else(|| panic!("no element matches `{css}` on {}", self.current_url()))
    }

    /// Every element matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        self.find_by("css selector", css)
    }

    /// The first element matching an XPath expression; panics when there is none.
    #[track_caller]
    pub fn find_xpath(&self, xpath: &str) -> Element<'_> {
        self.find_by("xpath", xpath)
            .into_iter()
            .next()
            .unwrap_or_else(|| {
                panic!(
                    "no element matches xpath `{xpath}` on {}",
                    self.current_url()
                )
            })
    }

    fn find_by(&self, using: &str, selector: &str) -> Vec<Element<'_>> {
        match self.call(
            "POST",
            "elements",
            Some(&json!({ "using": using, "value": selector })),
        ) {
            Ok(Value::Array(found)) => found
                .iter()
                .map(|v| Element {
                    session: self,
                    id: element_id(v),
                    what: selector.to_string(),
                })
                .collect(),
            Ok(other) => panic!("find `{selector}`: unexpected answer {other}"),
            Err(e) => panic!("find `{selector}` on {}: {e}", self.current_url()),
        }
    }

    /// The element that has keyboard focus.
    #[track_caller]
    pub fn active_element(&self) -> Element<'_> {
        let v = self.must("GET", "element/active", None);
        Element {
            session: self,
            id: element_id(&v),
            what: "document.activeElement".into(),
        }
    }

    /// Polls `probe` (every 50 ms, up to `limit`) until it returns `Some`; panics with `what`
    /// on timeout. The page works asynchronously (debounced fetches, navigation), so the test
    /// waits for the condition it needs instead of sleeping a guessed time.
    #[track_caller]
    pub fn wait_for<T>(
        &self,
        what: &str,
        limit: Duration,
        mut probe: impl FnMut() -> Option<T>,
    ) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = probe() {
                return v;
            }
            if start.elapsed() > limit {
                panic!(
                    "timed out after {limit:?} waiting for {what} (page: {})",
                    self.current_url()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the current URL contains `part` and the new document has loaded.
    #[track_caller]
    pub fn wait_for_url(&self, part: &str) {
        self.wait_for(
            &format!("a URL containing `{part}`"),
            Duration::from_secs(10),
            || {
                let url = self.current_url();
                let ready = self.call(
                    "POST",
                    "execute/sync",
                    Some(&json!({ "script": "return document.readyState", "args": [] })),
                );
                (url.contains(part) && matches!(ready, Ok(Value::String(ref s)) if s == "complete"))
                    .then_some(())
            },
        );
    }

    /// Saves a screenshot of the viewport as PNG and returns its bytes.
    #[track_caller]
    pub fn screenshot(&self, path: &Path) -> Vec<u8> {
        let v = self.must("GET", "screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("screenshot is a base64 string"))
            .expect("screenshot is valid base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        }
        std::fs::write(path, &png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        png
    }

    /// The browser console log since the last call, if chromedriver offers it (a legacy,
    /// non-W3C endpoint; `None` when it is gone).
    #[track_caller]
    pub fn console_log(&self) -> Option<Vec<Value>> {
        match self.call("POST", "se/log", Some(&json!({ "type": "browser" }))) {
            Ok(Value::Array(entries)) => Some(entries),
            Ok(other) => panic!("console log: unexpected answer {other}"),
            Err(e) if e.error.starts_with("unknown") => None,
            Err(e) => panic!("console log: {e}"),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Leave evidence: where the browser was, what it saw, what chromedriver said.
            eprintln!("{}", self.driver.log_tail());
            let title = self.call("GET", "title", None).ok();
            eprintln!(
                "e2e: failed on {} (title {:?})",
                self.current_url(),
                title.as_ref().and_then(Value::as_str).unwrap_or("")
            );
            if let Some(path) = &self.failure_screenshot {
                if let Ok(Value::String(b64)) = self.call("GET", "screenshot", None) {
                    if let Ok(png) = base64::engine::general_purpose::STANDARD.decode(b64) {
                        if std::fs::write(path, png).is_ok() {
                            eprintln!("e2e: screenshot of the failure: {}", path.display());
                        }
                    }
                }
            }
        }
        // Best effort: the driver is killed right after, whatever this answers.
        let _ = self.call("DELETE", "", None);
    }
}

impl Element<'_> {
    #[track_caller]
    fn must(&self, method: &str, command: &str, body: Option<&Value>) -> Value {
        let cmd = format!("element/{}/{command}", self.id);
        self.session.call(method, &cmd, body).unwrap_or_else(|e| {
            panic!(
                "{method} {command} on `{}` failed: {e}\n(page: {})",
                self.what,
                self.session.current_url()
            )
        })
    }

    /// The rendered, visible text (what a person can read).
    #[track_caller]
    pub fn text(&self) -> String {
        self.must("GET", "text", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The text, or `None` when the element is gone (e.g. the script rebuilt the list);
    /// for use inside [`Session::wait_for`].
    pub fn try_text(&self) -> Option<String> {
        let cmd = format!("element/{}/text", self.id);
        match self.session.call("GET", &cmd, None) {
            Ok(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// A DOM property, e.g. `value` of a textarea.
    #[track_caller]
    pub fn property(&self, name: &str) -> Value {
        self.must("GET", &format!("property/{name}"), None)
    }

    #[track_caller]
    pub fn attribute(&self, name: &str) -> Option<String> {
        self.must("GET", &format!("attribute/{name}"), None)
            .as_str()
            .map(str::to_string)
    }

    #[track_caller]
    pub fn is_displayed(&self) -> bool {
        self.must("GET", "displayed", None)
            .as_bool()
            .unwrap_or(false)
    }

    /// Width and height in CSS pixels.
    #[track_caller]
    pub fn size(&self) -> (f64, f64) {
        let r = self.must("GET", "rect", None);
        (
            r["width"].as_f64().unwrap_or(0.0),
            r["height"].as_f64().unwrap_or(0.0),
        )
    }

    /// This element as a script argument (`arguments[i]` in `execute/sync`).
    pub fn as_arg(&self) -> Value {
        let mut reference = serde_json::Map::new();
        reference.insert(ELEMENT_KEY.to_string(), Value::String(self.id.clone()));
        Value::Object(reference)
    }

    /// Moves the mouse over the element's centre (scrolled into view first when it is not), as
    /// a person pointing at it.
    #[track_caller]
    pub fn hover(&self) {
        self.session
            .call(
                "POST",
                "execute/sync",
                Some(&json!({
                    "script": "arguments[0].scrollIntoView({block: 'nearest', inline: 'nearest'})",
                    "args": [self.as_arg()],
                })),
            )
            .unwrap_or_else(|e| panic!("scroll `{}` into view: {e}", self.what));
        let actions = json!({ "actions": [{
            "type": "pointer",
            "id": "mouse",
            "parameters": { "pointerType": "mouse" },
            "actions": [{ "type": "pointerMove", "duration": 0, "origin": self.as_arg(), "x": 0, "y": 0 }],
        }]});
        self.session
            .call("POST", "actions", Some(&actions))
            .unwrap_or_else(|e| panic!("hover over `{}`: {e}", self.what));
    }

    #[track_caller]
    pub fn click(&self) {
        self.must("POST", "click", Some(&json!({})));
    }

    /// Types `text` into the element as key presses (focusing it first).
    #[track_caller]
    pub fn send_keys(&self, text: &str) {
        self.must("POST", "value", Some(&json!({ "text": text })));
    }

    /// The first descendant matching a CSS selector, or `None`.
    pub fn try_find(&self, css: &str) -> Option<Element<'_>> {
        self.find_all(css).into_iter().next()
    }

    /// Every descendant matching a CSS selector (none when the lookup fails).
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let cmd = format!("element/{}/elements", self.id);
        match self.session.call(
            "POST",
            &cmd,
            Some(&json!({ "using": "css selector", "value": css })),
        ) {
            Ok(Value::Array(found)) => found
                .iter()
                .map(|v| Element {
                    session: self.session,
                    id: element_id(v),
                    what: format!("{} {css}", self.what),
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Driver {
    fn spawn(binary: &Path, workdir: &Path) -> Driver {
        let log = workdir.join("chromedriver.log");
        // chromedriver has no "pick a port and tell me" mode: take a free port from the
        // kernel and hand it over; retry on the rare race where someone grabs it first.
        for _attempt in 0..5 {
            let port = free_port();
            let child = Command::new(binary)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
            let mut driver = Driver {
                child,
                port,
                log: log.clone(),
            };
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(status)) = driver.child.try_wait() {
                    eprintln!(
                        "e2e: chromedriver exited early ({status}) on port {port}; retrying\n{}",
                        driver.log_tail()
                    );
                    break;
                }
                if let Ok(v) = driver.call("GET", "/status", None) {
                    if v["ready"].as_bool() == Some(true) {
                        return driver;
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            drop(driver); // kills it; try another port
        }
        panic!("chromedriver ({}) did not become ready", binary.display());
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, WdError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let (status, json) = http(addr, method, path, body).map_err(|e| WdError {
            error: "transport".into(),
            message: format!("{method} {path}: {e}"),
        })?;
        let value = json.get("value").cloned().unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(value)
        } else {
            Err(WdError {
                error: value["error"].as_str().unwrap_or("http error").to_string(),
                message: format!(
                    "{} (HTTP {status})",
                    value["message"].as_str().unwrap_or_default()
                ),
            })
        }
    }

    /// The last lines of chromedriver's log, for failure messages.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        format!("--- last lines of {} ---\n{tail}", self.log.display())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver takes its browsers down with it once its session is deleted; killing
        // it is the fallback when deletion failed.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn element_id(v: &Value) -> String {
    v[ELEMENT_KEY]
        .as_str()
        .unwrap_or_else(|| panic!("not an element reference: {v}"))
        .to_string()
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind(("127.0.0.1", 0)).expect("bind a loopback port");
    l.local_addr().expect("local addr").port()
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and the JSON body.
///
/// The body is read by `Content-Length`, not to end of stream: chromedriver announces
/// `Connection: close` but keeps the socket open.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let invalid = |m: String| std::io::Error::new(std::io::ErrorKind::InvalidData, m);
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    // A generous bound: a navigation command answers only once the page has loaded.
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n");
    if body.is_some() {
        head.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", payload.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(payload.as_bytes())?;
    stream.flush()?;

    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {line:?}")))?;
    let mut length: Option<usize> = None;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((line.as_str(), ""));
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse()
                    .map_err(|_| invalid(format!("bad content-length {value:?}")))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && !value.eq_ignore_ascii_case("identity")
        {
            return Err(invalid(format!("unsupported transfer-encoding {value}")));
        }
    }
    let mut bytes = Vec::new();
    match length {
        Some(n) => {
            bytes.resize(n, 0);
            reader.read_exact(&mut bytes)?;
        }
        None => {
            reader.read_to_end(&mut bytes)?;
        }
    }
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).map_err(|e| invalid(format!("response is not JSON: {e}")))?
    };
    Ok((status, json))
}
