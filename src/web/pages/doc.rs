//! A document of the catalog (`/docs/{path}`), rendered from Markdown.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;

use crate::diag::closest;
use crate::web::error::render;
use crate::web::page::{layout, Layout};
use crate::web::{AppError, AppState};

#[derive(Template)]
#[template(path = "doc.html")]
pub struct DocPage {
    pub layout: Layout,
    pub path: String,
    pub html: String,
    pub toc: Vec<crate::docs::TocEntry>,
    pub systems: Vec<String>,
}

pub async fn doc(
    State(st): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, AppError> {
    let live = st.live();
    let c = &live.snapshot.catalog;
    // Only documents the catalog names are served, straight from the snapshot: no file system
    // access, so `..`, encoded traversal and symlinks cannot reach anything else.
    if c.document(&path).is_none() {
        let close =
            closest(&path, c.documents.keys().map(String::as_str)).map(|s| format!("docs/{s}"));
        return Err(AppError::not_found(
            format!("no document `{path}` in the catalog"),
            close.into_iter().collect(),
        ));
    };
    // Rendered once per snapshot, on a blocking thread (never on the async workers).
    let r = {
        let (snap, p) = (live.snapshot.clone(), path.clone());
        tokio::task::spawn_blocking(move || snap.rendered(&p))
            .await
            .map_err(AppError::internal)?
            .ok_or_else(|| AppError::internal("the document went away"))?
    };
    let systems = c
        .systems
        .iter()
        .filter(|s| c.doc_paths(s).any(|p| p == path))
        .map(|s| s.name.value.clone())
        .collect();
    render(&DocPage {
        layout: layout(
            &live,
            r.title.clone().unwrap_or_else(|| path.clone()),
            "docs",
        ),
        path,
        html: r.html.clone(),
        toc: r.toc.clone(),
        systems,
    })
}
