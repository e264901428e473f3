//! `dana demo`: the protocol end to end, in seconds, on a sample retail warehouse that
//! the demo creates in a folder it names. Every step is a real tool call through the
//! server's dispatch (the same path as MCP `tools/call`):
//! - discover-phase work (profile, architecture assessment, score) is called with
//!   `project`, so it is recorded and counts toward the discover gate;
//! - model and build work (model, DDL, quality checks) is called without `project`, as
//!   a preview: those phases open only once a human approves the discover gate, which no
//!   tool and no demo can do. The DDL still executes (in `model.db`) and the checks still
//!   run on the warehouse, finding the defects `templates/demo/warehouse.sql` planted;
//! - the gate review ends *pending*, and the demo prints the `dana gate` command that
//!   approves it.
//!
//! Nothing is written outside the folder; an existing folder is refused.

mod sample;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::out;
use crate::App;
use crate::domain::architecture::ArchitectureAssessment;
use crate::domain::modeling::{DdlOutput, DesignOutput, StatementKind, TableKind};
use crate::domain::project::ProjectStatus;
use crate::domain::quality::{DatasourceProfile, QualityChecks, QualityRun};
use crate::domain::scoring::ScoreReport;
use crate::error::{Error, Result};
use crate::protocol::artifact::ArtifactRef;
use crate::protocol::document::PhaseDocument;
use crate::protocol::review::GateReview;
use crate::server::DanaServer;
use crate::store::Store;

/// Arguments of `dana demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder to create for the demo workspace (must not exist yet).
    #[arg(long, default_value = "dana-demo")]
    pub dir: PathBuf,
}

/// Project id the demo creates.
const PROJECT: &str = "retail";
/// Datasource name of the sample warehouse in the demo's `dana.toml`.
const DATASOURCE: &str = "warehouse";
/// Steps, for the `[n/N]` counter.
const STEPS: u32 = 10;

/// A defect the seed plants and the check that must catch it (`templates/demo/defects.yaml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Planted {
    check: String,
    observed: f64,
    defect: String,
}

pub(super) async fn run(args: DemoArgs) -> Result<ExitCode> {
    let started = Instant::now();
    if args.dir.exists() {
        return Err(Error::invalid(format!(
            "--dir: `{}` already exists; pick a new folder (the demo never writes into an existing one)",
            args.dir.display()
        )));
    }
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::io("create", &args.dir, e))?;
    let dir = args
        .dir
        .canonicalize()
        .map_err(|e| Error::io("open", &args.dir, e))?;
    out(&format!(
        "dana demo: the Data Engineering Protocol, end to end, on a sample retail warehouse\n\
         Everything goes into {} (nothing is written outside it).",
        dir.display()
    ))?;

    // 1. The sample warehouse and the workspace that names it as a datasource.
    step(
        1,
        "Create the sample warehouse (SQLite, seeded from templates/demo/warehouse.sql)",
    )?;
    let warehouse = sample::create_warehouse(&dir.join("warehouse.db")).await?;
    write(&dir, "dana.toml", embedded("demo/dana.toml")?)?;
    let planted: Vec<Planted> = yaml(embedded("demo/defects.yaml")?, "demo/defects.yaml")?;
    let sizes: Vec<String> = warehouse
        .tables
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    say(&format!("warehouse.db: {} rows", sizes.join(", ")))?;
    say(&format!(
        "{} defects planted: duplicate keys, NULLs, orphans, out-of-range values, stale partitions",
        planted.len()
    ))?;
    say(&format!(
        "dana.toml names it datasource `{DATASOURCE}`, read-only: dana profiles and checks it, never writes it"
    ))?;

    let state = dir.join(".dana");
    std::fs::create_dir_all(&state).map_err(|e| Error::io("create", &state, e))?;
    // The demo always uses its own SQLite store, whatever DANA_DATABASE_URL says.
    let store = Store::open_sqlite(&state.join("state.db")).await?;
    let app = App::with_store(&dir, store)?;
    let server = DanaServer::new(app.clone(), None)?;
    let tour = Tour { server: &server };

    // 2. The project.
    step(2, &format!("Start project `{PROJECT}`"))?;
    let (project, _) = tour
        .call::<ProjectStatus>(
            "start_project",
            json!({"name": "Retail analytics", "id": PROJECT, "description": "dana demo on a sample retail warehouse"}),
        )
        .await?;
    let phases: Vec<&str> = project.phases.iter().map(|p| p.id.as_str()).collect();
    say(&format!(
        "phases {}; each closes with a gate only a human approves",
        phases.join(" → ")
    ))?;

    // 3-5. Discover-phase work, recorded.
    step(3, &format!("Profile datasource `{DATASOURCE}`"))?;
    let (profile, artifact) = tour
        .call::<DatasourceProfile>(
            "profile_datasource",
            json!({"datasource": DATASOURCE, "project": PROJECT}),
        )
        .await?;
    let columns: usize = profile.tables.iter().map(|t| t.columns.len()).sum();
    say(&format!(
        "{} tables, {columns} columns, one scan each in {} ms",
        profile.tables.len(),
        profile.duration_ms
    ))?;
    let anomalies: Vec<String> = profile
        .tables
        .iter()
        .flat_map(|t| {
            t.anomalies.iter().map(move |a| {
                let at = a
                    .column
                    .as_deref()
                    .map_or(t.table.name.clone(), |c| format!("{}.{c}", t.table.name));
                format!("{} {at}", a.id)
            })
        })
        .collect();
    if !anomalies.is_empty() {
        say(&format!("anomalies: {}", anomalies.join(", ")))?;
    }
    let newest = |table: &str, column: &str| {
        profile
            .tables
            .iter()
            .filter(|t| t.table.name == table)
            .flat_map(|t| t.columns.iter())
            .find(|c| c.name == column)
            .and_then(|c| c.max.clone())
            .unwrap_or_default()
    };
    say(&format!(
        "newest order {} UTC, newest customer sign-up {} UTC",
        newest("orders", "ordered_at"),
        newest("customers", "signed_up_at")
    ))?;
    say(&recorded(artifact.as_ref()))?;

    step(
        4,
        "Assess the architecture brief (templates/demo/brief.yaml)",
    )?;
    let mut brief: Value = yaml(embedded("demo/brief.yaml")?, "demo/brief.yaml")?;
    brief["project"] = json!(PROJECT);
    let (assessment, artifact) = tour
        .call::<ArchitectureAssessment>("assess_architecture", brief)
        .await?;
    let patterns: Vec<String> = assessment
        .patterns
        .iter()
        .map(|p| format!("{} ({})", p.title, p.id))
        .collect();
    let picks: Vec<String> = assessment
        .technology
        .iter()
        .map(|l| format!("{} {}", l.layer, l.tool))
        .collect();
    say(&format!(
        "pattern: {}; picks: {}",
        patterns.join(", "),
        picks.join(", ")
    ))?;
    say(&format!(
        "{} open questions about the brief; {}",
        assessment.questions.len(),
        recorded(artifact.as_ref())
    ))?;

    step(
        5,
        "Score the current infrastructure (rubric 0-100, templates/demo/score_before.yaml)",
    )?;
    let mut evidence: Value = yaml(
        embedded("demo/score_before.yaml")?,
        "demo/score_before.yaml",
    )?;
    evidence["project"] = json!(PROJECT);
    let (score, artifact) = tour
        .call::<ScoreReport>("score_infrastructure", evidence)
        .await?;
    say(&format!(
        "{}/100 [{} {}]",
        score.total, score.band.id, score.band.label
    ))?;
    if let Some(first) = score.improvements.first() {
        say(&format!(
            "best next improvement: +{} {} ({})",
            first.gain, first.dimension, first.criterion
        ))?;
    }
    say(&recorded(artifact.as_ref()))?;

    // 6-8. Model and build work, previewed: those phases open after GATE-DISCOVER.
    std::fs::create_dir_all(dir.join("preview"))
        .map_err(|e| Error::io("create", dir.join("preview"), e))?;
    step(
        6,
        "Design the dimensional model (templates/demo/model.yaml)",
    )?;
    let model: Value = yaml(embedded("demo/model.yaml")?, "demo/model.yaml")?;
    let (design, rendered) = tour
        .preview::<DesignOutput>("design_dimensional_model", json!({"model": model}))
        .await?;
    let facts: Vec<&str> = design
        .model
        .tables
        .iter()
        .filter(|t| t.kind == TableKind::Fact)
        .map(|t| t.name.as_str())
        .collect();
    say(&format!(
        "{} + {} dimensions, {} columns; findings: {} errors, {} warnings, {} infos",
        facts.join(", "),
        design.summary.dimensions,
        design.summary.columns,
        design.summary.errors,
        design.summary.warnings,
        design.summary.infos
    ))?;
    write(&dir, "preview/model.md", rendered.as_deref().unwrap_or(""))?;
    say("preview (model phase not open yet) → preview/model.md, with the Mermaid ERD")?;

    step(
        7,
        "Generate SQLite DDL for the model and execute it in model.db",
    )?;
    let (ddl, _) = tour
        .preview::<DdlOutput>("generate_ddl", json!({"model": model, "dialect": "sqlite"}))
        .await?;
    write(&dir, "preview/model.sql", &ddl.script)?;
    let executed = sample::execute_ddl(&dir.join("model.db"), &ddl.statements).await?;
    let creates = ddl
        .statements
        .iter()
        .filter(|s| s.kind == StatementKind::CreateTable)
        .count();
    say(&format!(
        "{} statements ({creates} CREATE TABLE) executed in model.db, {} unknown-member rows inserted",
        executed.statements, executed.unknown_members
    ))?;
    say(&format!("model.db tables: {}", executed.tables.join(", ")))?;
    say("preview (model phase not open yet) → preview/model.sql")?;

    step(
        8,
        "Generate quality checks (declared + suggested from the profile) and run them",
    )?;
    let expectations = app.templates.render(
        "demo/expectations.yaml.j2",
        json!({"yesterday": warehouse.yesterday}),
    )?;
    let tables: Vec<Value> = yaml(&expectations, "demo/expectations.yaml.j2")?;
    let mut checks: Vec<Value> = Vec::new();
    let mut sql = String::new();
    for table in tables {
        let name = table["name"].as_str().unwrap_or_default().to_string();
        let table_profile = profile
            .tables
            .iter()
            .find(|t| t.table.name == name)
            .ok_or_else(|| Error::invalid(format!("no profile of sample table `{name}`")))?;
        let (generated, _) = tour
            .preview::<QualityChecks>(
                "generate_quality_checks",
                json!({"table": table, "profile": table_profile, "dialect": "sqlite"}),
            )
            .await?;
        let _ = writeln!(sql, "-- {name}\n{}", generated.sql);
        for check in generated.checks {
            checks.push(
                serde_json::to_value(check)
                    .map_err(|e| Error::invalid(format!("check of `{name}`: {e}")))?,
            );
        }
    }
    write(&dir, "preview/checks.sql", &sql)?;
    let declared = checks
        .iter()
        .filter(|c| c["origin"] == json!("declared"))
        .count();
    let (run, rendered) = tour
        .preview::<QualityRun>(
            "run_quality_checks",
            json!({"datasource": DATASOURCE, "checks": checks}),
        )
        .await?;
    write(
        &dir,
        "preview/quality_run.md",
        rendered.as_deref().unwrap_or(""),
    )?;
    say(&format!(
        "{} checks ({declared} declared, {} suggested), {} statements, {} ms: {} pass, {} fail",
        run.summary.total,
        run.summary.total - declared,
        run.statements,
        run.duration_ms,
        run.summary.passed,
        run.summary.failed + run.summary.errors + run.summary.unsupported
    ))?;
    let verdict = compare(&run, &planted)?;
    say("preview (build phase not open yet) → preview/checks.sql, preview/quality_run.md")?;

    // 9. The gate: evaluated, then left for a human.
    step(9, "Request the discover gate review")?;
    let (review, _) = tour
        .call::<GateReview>(
            "request_gate_review",
            json!({"project": PROJECT, "phase": "discover"}),
        )
        .await?;
    let passing = review.criteria.iter().filter(|c| c.passed).count();
    say(&format!(
        "{}: {passing}/{} criteria pass; state `{}`: no MCP client here to ask, and no tool can approve",
        review.gate,
        review.criteria.len(),
        review.state.as_str()
    ))?;

    // 10. The phase documents, from what was recorded.
    step(10, "Render the phase documents")?;
    let mut drafts = Vec::new();
    for phase in &app.playbooks.phases.phases {
        let file = format!("docs/{}", phase.document.file);
        let (doc, _) = tour
            .call::<PhaseDocument>(
                "render_phase_document",
                json!({"project": PROJECT, "phase": phase.id, "write": true, "path": file}),
            )
            .await?;
        if doc.missing.is_empty() {
            say(&format!(
                "docs/{}: {}, every artifact of the phase recorded",
                doc.file, doc.status
            ))?;
        } else {
            drafts.push(doc.file);
        }
    }
    if !drafts.is_empty() {
        say(&format!(
            "docs/{}: drafts listing what each phase still needs",
            drafts.join(", ")
        ))?;
    }

    out(&summary(&dir, &review, started))?;
    Ok(if verdict {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Calls tools through the server's dispatch.
struct Tour<'a> {
    server: &'a DanaServer,
}

impl Tour<'_> {
    /// Calls a tool (with `project` when the args carry it) and decodes its result.
    async fn call<T: DeserializeOwned>(
        &self,
        tool: &str,
        args: Value,
    ) -> Result<(T, Option<ArtifactRef>)> {
        let outcome = self.server.call_detached(tool, args).await?;
        let value = serde_json::from_value(outcome.structured)
            .map_err(|e| Error::invalid(format!("result of `{tool}`: {e}")))?;
        Ok((value, outcome.artifact))
    }

    /// Calls a tool without `project` (nothing recorded); returns its Markdown too.
    async fn preview<T: DeserializeOwned>(
        &self,
        tool: &str,
        args: Value,
    ) -> Result<(T, Option<String>)> {
        let outcome = self.server.call_detached(tool, args).await?;
        let value = serde_json::from_value(outcome.structured)
            .map_err(|e| Error::invalid(format!("result of `{tool}`: {e}")))?;
        Ok((value, outcome.rendered))
    }
}

/// Prints the failing checks beside the planted defects; `Ok(true)` when they agree
/// exactly (every planted defect found with its count, nothing else failing).
fn compare(run: &QualityRun, planted: &[Planted]) -> Result<bool> {
    let failing: Vec<_> = run.results.iter().filter(|r| !r.passed).collect();
    let width = failing
        .iter()
        .map(|r| r.id.len())
        .max()
        .unwrap_or(5)
        .max(13);
    let mut s = format!(
        "   {:<width$}  {:<3}  {:>8}  {:<8}  planted defect\n",
        "failing check", "sev", "observed", "pass if"
    );
    let mut agree = true;
    for r in &failing {
        let observed = r.observed.map_or_else(
            || format!("{:?}", r.status).to_lowercase(),
            |o| format!("{o}"),
        );
        let plant = planted.iter().find(|p| p.check == r.id);
        let note = match plant {
            Some(p) if r.observed == Some(p.observed) => format!("✓ {}", p.defect),
            Some(p) => {
                agree = false;
                format!("✗ expected {}: {}", p.observed, p.defect)
            }
            None => {
                agree = false;
                "✗ not planted".to_string()
            }
        };
        let _ = writeln!(
            s,
            "   {:<width$}  {:<3}  {:>8}  {:<8}  {note}",
            r.id,
            r.severity,
            observed,
            r.threshold.describe()
        );
    }
    let missed: Vec<&Planted> = planted
        .iter()
        .filter(|p| !failing.iter().any(|r| r.id == p.check))
        .collect();
    for p in &missed {
        agree = false;
        let _ = writeln!(s, "   MISSED {}: {}", p.check, p.defect);
    }
    if agree {
        let _ = write!(
            s,
            "   all {} planted defects found with their exact counts; no other check failed",
            planted.len()
        );
    } else {
        let _ = write!(
            s,
            "   the quality run does not match the planted defects (a bug in dana: please report it)"
        );
    }
    say_block(&s)?;
    Ok(agree)
}

/// What was recorded, what was previewed, and the command that approves the gate.
fn summary(dir: &Path, review: &GateReview, started: Instant) -> String {
    let exe = std::env::args_os()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .filter(|a| a.contains('/'))
        .unwrap_or_else(|| "dana".to_string());
    // The demo's state is the SQLite file in the folder; a DANA_DATABASE_URL in this
    // shell would point `dana gate` elsewhere.
    let env = if std::env::var(crate::store::DATABASE_URL_ENV).is_ok_and(|v| !v.trim().is_empty()) {
        format!("{}= ", crate::store::DATABASE_URL_ENV)
    } else {
        String::new()
    };
    let base = format!(
        "{env}{} --workspace {} gate",
        shell_quote(&exe),
        shell_quote(&dir.display().to_string())
    );
    let user = crate::protocol::gate::os_user();
    let reviewer = shell_quote(if user == "unknown" {
        "Your Name"
    } else {
        &user
    });
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nRecorded in project `{PROJECT}` (phase discover): source_profile, architecture_assessment, infrastructure_score."
    );
    let _ = writeln!(
        s,
        "Previewed without `project` (model and build open only after {} is approved): model, DDL, quality checks.",
        review.gate
    );
    let _ = writeln!(
        s,
        "\n{} waits for a human. To look at it, then approve it:",
        review.gate
    );
    let _ = writeln!(s, "  {base} status {PROJECT} discover");
    let _ = writeln!(
        s,
        "  {base} approve {PROJECT} discover --reviewer {reviewer}"
    );
    let _ = write!(
        s,
        "\nDone in {:.1} s. Next: connect an MCP client to `dana serve --workspace {}` (see README).",
        started.elapsed().as_secs_f64(),
        shell_quote(&dir.display().to_string())
    );
    s
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn step(n: u32, what: &str) -> Result<()> {
    out(&format!("\n[{n}/{STEPS}] {what}"))
}

/// One indented result line under a step.
fn say(text: &str) -> Result<()> {
    out(&format!("      {text}"))
}

fn say_block(text: &str) -> Result<()> {
    out(&text
        .lines()
        .map(|l| format!("   {l}\n"))
        .collect::<String>())
}

fn recorded(artifact: Option<&ArtifactRef>) -> String {
    match artifact {
        Some(a) => format!(
            "recorded as `{}` v{} in phase {} (audit row {})",
            a.kind, a.version, a.phase, a.audit_seq
        ),
        None => "not recorded".to_string(),
    }
}

fn embedded(name: &str) -> Result<&'static str> {
    crate::render::embedded(name)
        .ok_or_else(|| Error::invalid(format!("embedded sample `{name}` missing")))
}

fn yaml<T: DeserializeOwned>(text: &str, name: &str) -> Result<T> {
    serde_norway::from_str(text).map_err(|e| Error::invalid(format!("{name}: {e}")))
}

/// Writes a file inside the demo folder.
fn write(dir: &Path, rel: &str, text: &str) -> Result<()> {
    let path = dir.join(rel);
    std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))
}
