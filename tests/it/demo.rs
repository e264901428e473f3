//! `dana demo` as a newcomer runs it: the binary in an empty folder (also its HOME and
//! TMPDIR), then the `dana gate` command it prints, run as printed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

const DANA: &str = env!("CARGO_BIN_EXE_dana");

/// Runs the binary in `cwd` with a clean environment pointing HOME and TMPDIR there.
/// The demo builds its dbt project with `DANA_TEST_DBT` when that is set, and finds no
/// `dbt` otherwise (PATH is left out).
fn run(cwd: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(DANA);
    match std::env::var("DANA_TEST_DBT")
        .ok()
        .filter(|d| !d.is_empty())
    {
        Some(dbt) => command.env("DANA_DBT", dbt),
        None => command.env_remove("DANA_DBT").env("PATH", "/usr/bin:/bin"),
    };
    command
        .args(args)
        .current_dir(cwd)
        .env("HOME", cwd)
        .env("TMPDIR", cwd)
        .env("USER", "demo-reviewer")
        .env_remove("DANA_DATABASE_URL")
        .env_remove("DANA_WORKSPACE")
        .output()
        .expect("run dana")
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn gate_state(workspace: &Path) -> String {
    let out = run(
        workspace,
        &[
            "--workspace",
            workspace.to_str().expect("utf-8 path"),
            "gate",
            "status",
            "retail",
            "discover",
            "--format",
            "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    status["state"].as_str().unwrap_or_default().to_string()
}

#[derive(serde::Deserialize)]
struct Planted {
    check: String,
    observed: f64,
    defect: String,
}

#[test]
fn demo_walks_the_protocol_finds_every_planted_defect_and_leaves_the_gate_to_a_human() {
    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();
    let out = run(home, &["demo", "--dir", "tour"]);
    let text = String::from_utf8(out.stdout).expect("utf-8 output");
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tour = home.join("tour").canonicalize().expect("demo folder");

    // Every step ran, in order.
    let mut at = 0;
    for n in 1..=11 {
        let marker = format!("[{n}/11]");
        let found = text[at..]
            .find(&marker)
            .unwrap_or_else(|| panic!("{marker} missing or out of order:\n{text}"));
        at += found;
    }

    // Discover work is recorded in the project; model and build work is a preview.
    for kind in [
        "source_profile",
        "architecture_assessment",
        "infrastructure_score",
    ] {
        assert!(
            text.contains(&format!("recorded as `{kind}` v1 in phase discover")),
            "{kind}:\n{text}"
        );
    }
    assert!(text.contains("0 open questions about the brief"), "{text}");
    // Advice a senior engineer signs for a database plus a files export: an ingestion
    // tool, a real orchestrator, dbt only as the transformation layer.
    let picks = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("picks: "))
        .unwrap_or_else(|| panic!("no picks line:\n{text}"));
    let picks: Vec<&str> = picks.split(", ").collect();
    assert_eq!(
        picks,
        [
            "ingestion fivetran",
            "storage redshift",
            "processing warehouse_sql",
            "transformation dbt",
            "orchestration prefect",
            "quality sql_checks",
            "catalog aws_glue_catalog",
            "serving warehouse_bi"
        ],
        "{text}"
    );
    assert!(
        text.contains("model.db tables: dim_customers, dim_dates, dim_products, fct_order_lines"),
        "{text}"
    );

    // Each planted defect is reported by its check, with its exact count, and nothing else fails.
    let planted: Vec<Planted> =
        serde_norway::from_str(dana::render::embedded("demo/defects.yaml").expect("defects"))
            .expect("defects.yaml");
    assert_eq!(planted.len(), 9);
    for p in &planted {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(&format!("{} ", p.check)))
            .unwrap_or_else(|| panic!("{} not reported:\n{text}", p.check));
        let observed: f64 = line
            .split_whitespace()
            .nth(2)
            .and_then(|o| o.parse().ok())
            .unwrap_or_else(|| panic!("no observed value in `{line}`"));
        assert_eq!(observed, p.observed, "{line}");
        assert!(line.contains('✓'), "{line}");
    }
    assert!(
        text.contains(", 9 fail\n"),
        "exactly the planted checks fail:\n{text}"
    );
    assert!(
        text.contains("all 9 planted defects found with their exact counts; no other check failed"),
        "{text}"
    );

    // The dbt project: written into dbt/ with seeds and a DuckDB profile; built when dbt
    // is there, with exactly the checks dana's run found failing as warning source tests.
    for file in [
        "dbt/dbt_project.yml",
        "dbt/profiles.yml",
        "dbt/models/staging/_sources.yml",
        "dbt/models/marts/fct_order_lines.sql",
        "dbt/seeds/order_items.csv",
    ] {
        assert!(tour.join(file).is_file(), "{file} missing");
    }
    if std::env::var("DANA_TEST_DBT").is_ok_and(|d| !d.is_empty()) {
        assert!(
            text.contains("dbt build passed: 8 models built")
                && text.contains("9 source tests warn on the planted defects: exactly the checks dana's run found failing"),
            "{text}"
        );
        assert!(tour.join("dbt/demo.duckdb").is_file());
    } else {
        assert!(
            text.contains("dbt not found")
                && text.contains("dbt seed && dbt build --exclude resource_type:seed"),
            "{text}"
        );
    }

    // The folder holds the workspace, the two databases, the previews and the documents.
    for file in [
        "dana.toml",
        "warehouse.db",
        "model.db",
        ".dana/state.db",
        "preview/model.md",
        "preview/model.sql",
        "preview/checks.sql",
        "preview/quality_run.md",
        "docs/phase1_data_discovery.md",
        "docs/phase2_data_models.md",
        "docs/phase3_pipeline_implementation.md",
        "docs/phase4_optimization_report.md",
        "docs/phase5_data_operations.md",
    ] {
        assert!(tour.join(file).is_file(), "{file} missing");
    }
    let phase1 =
        std::fs::read_to_string(tour.join("docs/phase1_data_discovery.md")).expect("phase 1");
    assert!(phase1.contains("**DRAFT**"), "{phase1}");
    assert!(phase1.contains("pending_human"), "{phase1}");
    let model_sql = std::fs::read_to_string(tour.join("preview/model.sql")).expect("ddl");
    assert!(
        model_sql.contains("CREATE TABLE IF NOT EXISTS fct_order_lines"),
        "{model_sql}"
    );

    // Nothing outside the folder: the empty cwd (also HOME and TMPDIR) holds only it.
    assert_eq!(entries(home), ["tour"]);

    // The gate waits for a human, and the printed command is what approves it.
    assert_eq!(gate_state(&tour), "pending_human");
    let approve = text
        .lines()
        .map(str::trim)
        .find(|l| l.contains(" gate approve retail discover "))
        .unwrap_or_else(|| panic!("no approve command:\n{text}"))
        .to_string();
    assert!(approve.ends_with("--reviewer demo-reviewer"), "{approve}");
    assert!(
        approve.contains(&format!("--workspace {}", tour.display())),
        "{approve}"
    );
    let approved = approve_as_printed(home, &approve);
    assert!(
        approved.status.success(),
        "{approve}\n{}\n{}",
        String::from_utf8_lossy(&approved.stdout),
        String::from_utf8_lossy(&approved.stderr)
    );
    assert!(
        String::from_utf8_lossy(&approved.stdout).contains("is now approved"),
        "{}",
        String::from_utf8_lossy(&approved.stdout)
    );
    assert_eq!(gate_state(&tour), "approved");
    assert_eq!(entries(home), ["tour"]);
}

/// Runs the printed command line in a shell. On Linux with `script`, inside a
/// pseudo-terminal answering `yes` to the confirmation, exactly as a person would;
/// elsewhere with `--yes` (the scripted form `dana gate` offers).
fn approve_as_printed(cwd: &Path, line: &str) -> Output {
    let script = Path::new("/usr/bin/script");
    let mut cmd = if cfg!(target_os = "linux") && script.is_file() {
        let mut c = Command::new(script);
        c.args(["-qec", line, "/dev/null"]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", &format!("{line} --yes")]);
        c
    };
    let mut child = cmd
        .current_dir(cwd)
        .env("HOME", cwd)
        .env("TMPDIR", cwd)
        .env_remove("DANA_DATABASE_URL")
        .env_remove("DANA_WORKSPACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the printed command");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"yes\n").expect("answer yes");
    }
    child.wait_with_output().expect("printed command")
}

#[test]
fn demo_refuses_an_existing_folder_and_leaves_it_alone() {
    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();
    std::fs::create_dir(home.join("taken")).expect("mkdir");
    std::fs::write(home.join("taken/notes.txt"), "mine").expect("write");
    let out = run(home, &["demo", "--dir", "taken"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--dir: `taken` already exists"), "{err}");
    assert_eq!(entries(&home.join("taken")), ["notes.txt"]);
    assert_eq!(entries(home), ["taken"]);
}
