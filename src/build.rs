//! Embeds every file under `templates/` (so adding a template needs no code change),
//! converts each playbook's YAML to JSON (the binary parses JSON at startup, several times
//! faster than YAML) and makes cargo rebuild when templates, playbooks or migrations
//! change. Every path named here must exist: cargo treats a missing one as always changed
//! and rebuilds the crate.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=playbooks");
    println!("cargo:rerun-if-changed=src/store/migrations");
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    collect(&root.join("templates"), &mut files);
    files.sort();
    let mut out = String::from(
        "/// Every file under `templates/`: (path relative to it, text).\npub const EMBEDDED_TEMPLATES: &[(&str, &str)] = &[\n",
    );
    for file in files {
        let rel = file
            .strip_prefix(root.join("templates"))
            .expect("walked below templates/")
            .to_string_lossy()
            .replace('\\', "/");
        if rel.ends_with("README.md") {
            continue;
        }
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_templates.rs");
    std::fs::write(dest, out).expect("write embedded_templates.rs");
    playbooks_as_json(&root);
}

/// Writes `embedded_playbooks_json.rs`: (name, JSON) for every `playbooks/*.yaml`. A file
/// that does not convert (invalid YAML, a key JSON cannot hold) gets an empty text, and the
/// binary parses its YAML instead, reporting the error with its line and column.
fn playbooks_as_json(root: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("playbooks"))
        .expect("playbooks/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut out = String::from(
        "/// (playbook name, its YAML converted to JSON at build time).\npub const EMBEDDED_JSON: &[(&str, &str)] = &[\n",
    );
    for file in files {
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("UTF-8 file name");
        let yaml = std::fs::read_to_string(&file).expect("read playbook");
        let json = serde_norway::from_str::<serde_json::Value>(&yaml)
            .ok()
            .and_then(|v| serde_json::to_string(&v).ok())
            .unwrap_or_default();
        writeln!(out, "    ({name:?}, {json:?}),").expect("write to string");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_playbooks_json.rs");
    std::fs::write(dest, out).expect("write embedded_playbooks_json.rs");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
