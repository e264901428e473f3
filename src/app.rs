//! The application state shared by the MCP server and the CLI: the workspace, its
//! playbooks and templates (loaded and validated at startup) and the state store
//! (opened on first use, so listing tools never touches the disk).

use std::path::Path;
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::config::Workspace;
use crate::error::Result;
use crate::playbook::Playbooks;
use crate::render::Templates;
use crate::store::Store;

/// Everything a tool needs besides its params.
#[derive(Debug)]
pub struct App {
    /// The workspace folder and its `dana.toml`.
    pub workspace: Workspace,
    /// Validated playbooks.
    pub playbooks: Playbooks,
    /// Template environment.
    pub templates: Templates,
    /// Named read-only datasources from `dana.toml`, connected on first use.
    pub live: crate::live::Registry,
    store: OnceCell<Store>,
}

impl App {
    /// Opens the workspace at `root`: reads `dana.toml`, loads and validates playbooks.
    pub fn open(root: &Path) -> Result<Arc<Self>> {
        let workspace = Workspace::open(root)?;
        let playbooks = Playbooks::load(Some(&workspace.playbooks_dir()))?;
        let templates = Templates::new(Some(&workspace.templates_dir()));
        let live = crate::live::Registry::new(&workspace);
        Ok(Arc::new(App {
            live,
            workspace,
            playbooks,
            templates,
            store: OnceCell::new(),
        }))
    }

    /// Like [`App::open`] but with an already opened store (tests, PostgreSQL).
    pub fn with_store(root: &Path, store: Store) -> Result<Arc<Self>> {
        let workspace = Workspace::open(root)?;
        let playbooks = Playbooks::load(Some(&workspace.playbooks_dir()))?;
        let templates = Templates::new(Some(&workspace.templates_dir()));
        let live = crate::live::Registry::new(&workspace);
        Ok(Arc::new(App {
            live,
            workspace,
            playbooks,
            templates,
            store: OnceCell::new_with(Some(store)),
        }))
    }

    /// The state store, opened (and migrated) on first use.
    pub async fn store(&self) -> Result<&Store> {
        let state_dir = self.workspace.state_dir();
        self.store
            .get_or_try_init(|| async move { Store::open_for_workspace(&state_dir).await })
            .await
    }
}
