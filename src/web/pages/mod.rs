//! Server-rendered HTML pages (askama templates in `templates/`). Each template's context
//! struct sits next to its handler. Every page works without JavaScript; catalog text is
//! escaped by askama, Markdown is sanitised by `crate::docs`, snippets are escaped by the
//! search engine before highlighting, SVG text is escaped by `svg`.
//!
//! One module per page; the shell they share (layout, rendering, the error page, URL helpers)
//! is `web::page`, which imports no page.

mod doc;
mod fallback;
mod graph;
mod home;
mod impact;
mod search;
mod system;
mod team;

pub use doc::doc;
pub use fallback::{method_not_allowed, not_found};
pub(super) use graph::domains_svg;
pub use graph::graph;
pub use home::home;
pub use impact::{impact, impact_eml, impact_markdown};
pub use search::search;
pub use system::system;
pub use team::team;
