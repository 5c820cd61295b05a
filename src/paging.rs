//! The page of a paged answer, shared by the reports that can be paged (impact, drift) and the
//! views (`views`), without either importing the other.

use serde::Serialize;

/// One page of a paged list: `limit` items from `offset`, and the next page's URL (`null` on
/// the last).
#[derive(Serialize, Clone, Debug)]
pub struct PageView {
    pub offset: usize,
    pub limit: usize,
    pub next: Option<String>,
}
