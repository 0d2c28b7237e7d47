//! [`CachedScopes`]: a [`Members`] that keeps what each scope covers for a
//! few seconds, so that a district's calls do not each ask members for the
//! district's tree.
//!
//! How stale a copy may be: at most [`SCOPE_LIFETIME`]; and none at all
//! after a change of the tree in this process (`probity up`, where members
//! bumps [`probity_platform::tree`] on every create, move and merge). The
//! copy only ever decides lists; a single record whose organisation the
//! copy does not cover is asked of members afresh
//! (study's `grpc::access::owner_lineage`), so a new cell is never missed.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use probity_platform::{Call, tree};

use crate::{MemberInfo, Members, OrgInfo, Result, RosterEntry, ScopeView};

/// How long a scope's view is kept.
pub const SCOPE_LIFETIME: Duration = Duration::from_secs(5);

/// The most scopes kept at once; past it the copy is cleared.
const MAX_SCOPES: usize = 4096;

struct Kept {
    view: Arc<ScopeView>,
    at: Instant,
    generation: u64,
}

/// `M` with each scope's view kept for [`SCOPE_LIFETIME`].
pub struct CachedScopes<M> {
    inner: M,
    kept: Mutex<HashMap<Vec<String>, Kept>>,
}

impl<M: Members> CachedScopes<M> {
    /// Wraps `inner`.
    pub fn new(inner: M) -> Self {
        Self {
            inner,
            kept: Mutex::new(HashMap::new()),
        }
    }

    fn fresh(&self, key: &[String]) -> Option<Arc<ScopeView>> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let k = kept.get(key)?;
        (k.generation == tree::generation() && k.at.elapsed() < SCOPE_LIFETIME)
            .then(|| k.view.clone())
    }
}

#[tonic::async_trait]
impl<M: Members> Members for CachedScopes<M> {
    async fn organization(&self, call: &Call, field: &str, name: &str) -> Result<OrgInfo> {
        self.inner.organization(call, field, name).await
    }

    async fn member(&self, call: &Call, field: &str, name: &str) -> Result<MemberInfo> {
        self.inner.member(call, field, name).await
    }

    async fn subtree(
        &self,
        call: &Call,
        field: &str,
        root: &str,
        date: time::Date,
    ) -> Result<Vec<OrgInfo>> {
        self.inner.subtree(call, field, root, date).await
    }

    async fn roster(
        &self,
        call: &Call,
        field: &str,
        root: &str,
        date: time::Date,
        exclude_exempt: bool,
    ) -> Result<Vec<RosterEntry>> {
        self.inner
            .roster(call, field, root, date, exclude_exempt)
            .await
    }

    async fn scope_view(&self, call: &Call) -> Result<Arc<ScopeView>> {
        if call.caller.sees_everything() {
            return Ok(Arc::new(ScopeView::Everything));
        }
        let mut key = call.caller.scope_roots().to_vec();
        key.sort();
        if let Some(view) = self.fresh(&key) {
            return Ok(view);
        }
        let generation = tree::generation();
        let view = self.inner.scope_view(call).await?;
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= MAX_SCOPES {
            kept.clear();
        }
        kept.insert(
            key,
            Kept {
                view: view.clone(),
                at: Instant::now(),
                generation,
            },
        );
        Ok(view)
    }
}
