//! Where the catalog's files come from when the settings list `sources:` (docs/sources.md):
//! what the settings file says ([`SourceSetting`]) and what the last fetch found
//! ([`SourceStatus`], put into every catalog a load builds).

use super::Loc;

/// One entry of the settings' `sources:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceSetting {
    /// Also the folder the source's files are read under (`NAME/path/in/source`).
    pub name: String,
    pub location: SourceLocation,
    /// Globs of the catalog files to take, relative to the source's top.
    pub include: Vec<String>,
    /// Globs of files never to take (catalog files or what they name).
    pub exclude: Vec<String>,
    /// How often `cairn serve` fetches it again, in seconds (`None`: the settings' `refresh`).
    pub refresh_secs: Option<u64>,
    /// An edit-link pattern with `{path}` and `{revision}` (`https://github.com/o/r/blob/{revision}/{path}`).
    pub web: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceLocation {
    /// A directory inside the catalog, relative to its root.
    Dir(String),
    /// A git repository: any URL `git` can fetch, and the branch, tag or commit to read.
    Git { url: String, rev: String },
}

/// What Cairn knows of a source now: the revision served and how the last fetch went.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceStatus {
    pub name: String,
    /// `git` or `directory`.
    pub kind: String,
    /// The URL or the directory, as the settings wrote it.
    pub location: String,
    /// The branch, tag or commit asked for (git only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rev: Option<String>,
    /// The commit served (git only); `None` until a fetch ever succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// When the served files were last fetched successfully (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched_at: Option<String>,
    /// When the last fetch was tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    /// Why the last fetch failed; the files served are those of the last good one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Since when fetching has been failing (the first failure after the last success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_since: Option<String>,
    /// The edit-link pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
    /// Files taken from it.
    #[serde(default)]
    pub files: usize,
}

impl SourceStatus {
    /// The link to edit `path` (inside the source) at the served revision, when the settings
    /// gave a pattern.
    pub fn edit_url(&self, path: &str) -> Option<String> {
        let pattern = self.web.as_deref()?;
        let revision = self
            .revision
            .as_deref()
            .or(self.rev.as_deref())
            .unwrap_or("HEAD");
        let path: String = path
            .split('/')
            .map(|s| percent_encoding::utf8_percent_encode(s, PATH_SEGMENT).to_string())
            .collect::<Vec<_>>()
            .join("/");
        Some(
            pattern
                .replace("{revision}", revision)
                .replace("{path}", &path),
        )
    }

    /// Whether the files served are older than the source (its last fetch failed).
    pub fn is_stale(&self) -> bool {
        self.error.is_some()
    }
}

const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
