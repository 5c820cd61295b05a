//! APIs: their kinds, endpoints and endpoint keys, OpenAPI operation contracts, listed
//! consumers and `system/api@N` references.

use std::collections::BTreeMap;

use super::{is_valid_name, Lifecycle, Loc, Spanned};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum ApiKind {
    #[default]
    Rest,
    Graphql,
    Grpc,
    Xmlrpc,
    Events,
    Library,
    Database,
    Cli,
    Other,
}

impl ApiKind {
    pub const ALL: [&'static str; 9] = [
        "rest", "graphql", "grpc", "xmlrpc", "events", "library", "database", "cli", "other",
    ];

    pub fn parse(s: &str) -> Option<ApiKind> {
        Some(match s {
            "rest" => ApiKind::Rest,
            "graphql" => ApiKind::Graphql,
            "grpc" => ApiKind::Grpc,
            "xmlrpc" => ApiKind::Xmlrpc,
            "events" => ApiKind::Events,
            "library" => ApiKind::Library,
            "database" => ApiKind::Database,
            "cli" => ApiKind::Cli,
            "other" => ApiKind::Other,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL[self as usize]
    }
}

/// An API a system provides, at one major version.
#[derive(Clone, Debug, Default)]
pub struct Api {
    pub name: Spanned<String>,
    pub version: u32,
    pub kind: ApiKind,
    pub description: String,
    /// OpenAPI document, relative to the catalog root.
    pub spec: Option<Spanned<String>>,
    /// Endpoints listed by hand and/or read from `spec`.
    pub endpoints: Vec<Endpoint>,
    pub lifecycle: Lifecycle,
    /// `YYYY-MM-DD`, for deprecated APIs.
    pub sunset: Option<Spanned<String>>,
    pub consumers: Vec<ListedConsumer>,
    pub loc: Loc,
}

impl Api {
    /// `system/api@version`.
    pub fn reference(&self, system: &str) -> String {
        format!("{system}/{}@{}", self.name.value, self.version)
    }

    pub fn find_endpoint(&self, wanted: &EndpointKey) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.key() == *wanted)
    }
}

/// One operation of an API: `GET /api/critpath`, or `SUB topic` for events.
#[derive(Clone, Debug, Default)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
    pub operation_id: Option<String>,
    pub summary: Option<String>,
    pub deprecated: bool,
    pub loc: Loc,
    /// What the operation accepts and returns, when it was read from an OpenAPI `spec`.
    pub contract: Option<Box<OperationContract>>,
}

impl Endpoint {
    pub fn key(&self) -> EndpointKey {
        EndpointKey::new(&self.method, &self.path)
    }

    pub fn label(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The normalised identity of an endpoint, used to match `uses` against a provider's list:
/// the method is upper-cased, a trailing `/` is ignored and every `{param}` matches any other.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointKey(String);

impl EndpointKey {
    pub fn new(method: &str, path: &str) -> EndpointKey {
        let mut norm = String::with_capacity(path.len());
        let mut in_param = false;
        for c in path.trim_end_matches('/').chars() {
            match c {
                '{' => {
                    in_param = true;
                    norm.push_str("{}");
                }
                '}' => in_param = false,
                _ if in_param => {}
                _ => norm.push(c),
            }
        }
        if norm.is_empty() {
            norm.push('/');
        }
        EndpointKey(format!("{} {}", method.to_ascii_uppercase(), norm))
    }

    /// Parses `"METHOD /path"`; `None` when there is no method or path.
    pub fn parse(label: &str) -> Option<EndpointKey> {
        let (m, p) = split_endpoint(label)?;
        Some(EndpointKey::new(m, p))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Splits `"GET /api/x"` into method and path.
pub fn split_endpoint(label: &str) -> Option<(&str, &str)> {
    let label = label.trim();
    let (m, p) = label.split_once(char::is_whitespace)?;
    let p = p.trim();
    if m.is_empty() || p.is_empty() || !m.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    Some((m, p))
}

/// What one OpenAPI operation accepts and returns, read from an API's `spec` so that `cairn diff`
/// can find breaking changes below the endpoint level (a new required parameter, a removed
/// response field). Lines are 1-based lines of the spec file; 0 when unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperationContract {
    /// Line of the operation (`get:`) in the spec.
    pub line: u32,
    /// Path-level and operation-level parameters, the operation's winning on a clash.
    pub parameters: Vec<Parameter>,
    pub request_body: Option<RequestBody>,
    /// Responses in the order the spec lists them.
    pub responses: Vec<Response>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    pub required: bool,
    pub schema: Schema,
    pub line: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestBody {
    pub required: bool,
    /// The schema of the preferred media type (JSON when there is one).
    pub schema: Option<Schema>,
    pub line: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// `200`, `2XX`, `default`, ...
    pub status: String,
    /// The schema of the preferred media type (JSON when there is one); `None` without content.
    pub schema: Option<Schema>,
    pub line: u32,
}

/// A JSON Schema reduced to what breaking-change checks compare: type, format, properties,
/// required properties and array items. `$ref`s are resolved and `allOf` merged while reading.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    /// `false` when the schema cannot be compared (`oneOf`/`anyOf`, a `$ref` to another file,
    /// nesting or size beyond the reader's limits): checks skip it and everything below it.
    pub known: bool,
    /// `string`, `integer`, `number`, `boolean`, `array`, `object`; `None` when not stated.
    pub ty: Option<String>,
    pub format: Option<String>,
    pub properties: BTreeMap<String, Schema>,
    pub required: std::collections::BTreeSet<String>,
    pub items: Option<Box<Schema>>,
    pub line: u32,
}

impl Schema {
    /// `integer`, `integer (int64)`, `any` — for messages.
    pub fn type_label(&self) -> String {
        let ty = self.ty.as_deref().unwrap_or("any");
        match &self.format {
            Some(f) => format!("{ty} ({f})"),
            None => ty.to_string(),
        }
    }
}

/// A consumer named by the provider under `provides[].consumers`.
#[derive(Clone, Debug)]
pub enum ListedConsumer {
    /// A system in the catalog.
    System(Spanned<String>),
    /// People or scripts outside the catalog.
    External(ExternalConsumer),
}

#[derive(Clone, Debug, Default)]
pub struct ExternalConsumer {
    pub name: String,
    pub contact: Option<String>,
    pub description: Option<String>,
    /// The provider recorded that this consumer accepts breaking changes to the API until this
    /// day, inclusive (see docs/diff.md).
    pub acknowledged: Option<Spanned<crate::date::Date>>,
    pub loc: Loc,
}

/// A reference to an API: `system`, `system/api` or `system/api@N`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ApiRef {
    pub system: String,
    pub api: Option<String>,
    pub version: Option<u32>,
}

impl ApiRef {
    /// Parses a reference; the error says what is wrong.
    pub fn parse(s: &str) -> Result<ApiRef, String> {
        let s = s.trim();
        let (head, version) = match s.rsplit_once('@') {
            Some((h, v)) => {
                let v = v.strip_prefix('v').unwrap_or(v);
                let n: u32 = v
                    .parse()
                    .map_err(|_| format!("`{v}` is not a major version number"))?;
                (h, Some(n))
            }
            None => (s, None),
        };
        let (system, api) = match head.split_once('/') {
            Some((sys, api)) => (sys, Some(api)),
            None => (head, None),
        };
        if system.is_empty() || !is_valid_name(system) {
            return Err(format!("`{system}` is not a valid system name"));
        }
        if let Some(a) = api {
            if a.is_empty() || a.contains('/') {
                return Err(format!("`{a}` is not a valid API name"));
            }
        }
        if api.is_none() && version.is_some() {
            return Err("a version needs an API name: `system/api@N`".into());
        }
        Ok(ApiRef {
            system: system.to_string(),
            api: api.map(str::to_string),
            version,
        })
    }
}

impl std::fmt::Display for ApiRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.system)?;
        if let Some(a) = &self.api {
            write!(f, "/{a}")?;
        }
        if let Some(v) = self.version {
            write!(f, "@{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_refs_parse() {
        let r = ApiRef::parse("pkgdb/api@2").unwrap();
        assert_eq!(
            (r.system.as_str(), r.api.as_deref(), r.version),
            ("pkgdb", Some("api"), Some(2))
        );
        assert_eq!(ApiRef::parse("koji/hub").unwrap().version, None);
        assert_eq!(ApiRef::parse("koji").unwrap().api, None);
        assert!(ApiRef::parse("pkgdb/api@two").is_err());
        assert!(ApiRef::parse("pkgdb@2").is_err());
        assert!(ApiRef::parse("Pkg DB/api").is_err());
        assert_eq!(
            ApiRef::parse("pkgdb/api@v2").unwrap().to_string(),
            "pkgdb/api@2"
        );
    }

    #[test]
    fn endpoint_keys_normalise() {
        assert_eq!(
            EndpointKey::parse("get /api/x/"),
            EndpointKey::parse("GET /api/x")
        );
        assert_eq!(
            EndpointKey::parse("GET /p/{name}"),
            EndpointKey::parse("GET /p/{id}")
        );
        assert_ne!(EndpointKey::parse("GET /a"), EndpointKey::parse("POST /a"));
        assert!(EndpointKey::parse("/api/x").is_none());
        assert!(EndpointKey::parse("GET").is_none());
    }
}
