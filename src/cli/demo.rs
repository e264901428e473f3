//! `dana demo`: the protocol end to end, in seconds, on a sample retail warehouse that
//! the demo creates in a folder it names. Every step is a real tool call through the
//! server's dispatch (the same path as MCP `tools/call`):
//! - discover-phase work (profile, architecture assessment, score) is called with
//!   `project`, so it is recorded and counts toward the discover gate;
//! - model and build work (model, DDL, quality checks) is called without `project`, as
//!   a preview: a phase opens only once a human approves the gates before it (discover
//!   for model; discover and model for build), which no tool and no demo can do. The DDL
//!   still executes (in `model.db`) and the checks still run on the warehouse, finding
//!   the defects `templates/demo/warehouse.sql` planted;
//! - the gate review ends *pending*, and the demo prints the `dana gate` command that
//!   approves it.
//!
//! Nothing is written outside the folder; an existing folder is refused.

mod dbt;
mod sample;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
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
const STEPS: u32 = 11;
/// The planted defects and the counts the quality run must observe.
const DEFECTS: &str = "demo/defects.yaml";

/// The dbt inputs of the demo's model (sources, load, exposures).
const DBT_INPUTS: &str = "demo/dbt.yaml";
/// How the demo's dbt project is built (seeds first, so the source tests see the rows).
const DBT_COMMAND: &str = "dbt seed && dbt build --exclude resource_type:seed";

/// What step 8 hands on: whether the run matched the planted defects, the checks, and
/// the ids of the failing ones.
struct QualityOutcome {
    all_found: bool,
    checks: Vec<Value>,
    failing: Vec<String>,
}

/// The `dbt` to run: `DANA_DBT`, else `dbt` on `PATH`.
fn dbt_executable() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("DANA_DBT").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("dbt"))
        .find(|p| p.is_file())
}

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
    let dir = create_folder(&args.dir)?;
    out(&format!(
        "dana demo: the Data Engineering Protocol, end to end, on a sample retail warehouse\n\
         Everything goes into {} (nothing is written outside it).",
        dir.display()
    ))?;
    let warehouse = create_warehouse(&dir).await?;
    let mut demo = Demo::open(dir).await?;
    demo.start_project().await?;
    let profile = demo.profile().await?;
    demo.assess_architecture().await?;
    demo.score().await?;
    let model = demo.design_model().await?;
    demo.generate_and_execute_ddl(&model).await?;
    let quality = demo.run_quality_checks(&profile, &warehouse).await?;
    let all_found = quality.all_found;
    let dbt = demo.generate_dbt_project(&model, &quality).await?;
    let review = demo.request_gate_review().await?;
    demo.render_documents().await?;
    out(&demo.summary(&review, &dbt, started))?;
    // Closing the store checkpoints SQLite's write-ahead log: the folder keeps state.db only.
    demo.app.store().await?.pool().close().await;
    Ok(if all_found {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Creates the demo folder, refusing one that exists; returns its absolute path.
fn create_folder(dir: &Path) -> Result<PathBuf> {
    if dir.exists() {
        return Err(Error::invalid(format!(
            "--dir: `{}` already exists; pick a new folder (the demo never writes into an existing one)",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    dir.canonicalize().map_err(|e| Error::io("open", dir, e))
}

/// Step 1: the sample warehouse, and the `dana.toml` that names it as a datasource.
async fn create_warehouse(dir: &Path) -> Result<sample::Warehouse> {
    step(
        1,
        "Create the sample warehouse (SQLite, seeded from templates/demo/warehouse.sql)",
    )?;
    let warehouse = sample::create_warehouse(&dir.join("warehouse.db")).await?;
    write(dir, "dana.toml", embedded("demo/dana.toml")?)?;
    let planted: Vec<Planted> = yaml(embedded(DEFECTS)?, DEFECTS)?;
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
    Ok(warehouse)
}

/// The demo workspace and its server; every step below is a tool call through it.
struct Demo {
    dir: PathBuf,
    app: Arc<App>,
    server: DanaServer,
    /// Artifact kinds recorded in the project, in order.
    recorded: Vec<String>,
    /// Tools called as previews, with the phase they would record into.
    previewed: Vec<(String, String)>,
}

impl Demo {
    async fn open(dir: PathBuf) -> Result<Self> {
        let state = dir.join(".dana");
        std::fs::create_dir_all(&state).map_err(|e| Error::io("create", &state, e))?;
        std::fs::create_dir_all(dir.join("preview"))
            .map_err(|e| Error::io("create", dir.join("preview"), e))?;
        // The demo always uses its own SQLite store, whatever DANA_DATABASE_URL says.
        let store = Store::open_sqlite(&state.join("state.db")).await?;
        let app = App::with_store(&dir, store)?;
        let server = DanaServer::new(app.clone(), None)?;
        Ok(Demo {
            dir,
            app,
            server,
            recorded: Vec::new(),
            previewed: Vec::new(),
        })
    }

    /// Calls a tool with `project`: the dispatcher checks the gates, then records the
    /// result. Returns it with a line saying where it was recorded.
    async fn record<T: DeserializeOwned>(
        &mut self,
        tool: &str,
        mut args: Value,
    ) -> Result<(T, String)> {
        args["project"] = json!(PROJECT);
        let outcome = self.server.call_detached(tool, args).await?;
        let note = match &outcome.artifact {
            Some(a) => {
                self.recorded.push(a.kind.clone());
                format!(
                    "recorded as `{}` v{} in phase {} (audit row {})",
                    a.kind, a.version, a.phase, a.audit_seq
                )
            }
            None => format!("`{tool}` records nothing"),
        };
        Ok((decode(tool, outcome.structured)?, note))
    }

    /// Calls a tool without `project`: a stateless result, recorded nowhere, with its
    /// Markdown rendering.
    async fn preview<T: DeserializeOwned>(
        &mut self,
        tool: &str,
        args: Value,
    ) -> Result<(T, Option<String>)> {
        let outcome = self.server.call_detached(tool, args).await?;
        if let Some((phase, _)) = crate::protocol::artifact::assignment(&self.app, tool) {
            self.previewed.push((tool.to_string(), phase.to_string()));
        }
        Ok((decode(tool, outcome.structured)?, outcome.rendered))
    }

    /// Says where a preview went and why it is not recorded: the gates before its phase.
    fn previewed_to(&self, files: &str) -> Result<()> {
        let phase = self
            .previewed
            .last()
            .map_or("", |(_, phase)| phase.as_str());
        let gates: Vec<&str> = self
            .app
            .playbooks
            .phases
            .phases
            .iter()
            .take_while(|p| p.id != phase)
            .map(|p| p.gate.id.as_str())
            .collect();
        say(&format!(
            "not recorded (phase {phase} opens after {}) → {files}",
            gates.join(" and ")
        ))
    }

    /// Step 2.
    async fn start_project(&mut self) -> Result<()> {
        step(2, &format!("Start project `{PROJECT}`"))?;
        let outcome = self
            .server
            .call_detached(
                "start_project",
                json!({"name": "Retail analytics", "id": PROJECT, "description": "dana demo on a sample retail warehouse"}),
            )
            .await?;
        let project: ProjectStatus = decode("start_project", outcome.structured)?;
        let phases: Vec<&str> = project.phases.iter().map(|p| p.id.as_str()).collect();
        say(&format!(
            "phases {}; each closes with a gate only a human approves",
            phases.join(" → ")
        ))
    }

    /// Step 3: profile the warehouse (recorded).
    async fn profile(&mut self) -> Result<DatasourceProfile> {
        step(3, &format!("Profile datasource `{DATASOURCE}`"))?;
        let (profile, recorded): (DatasourceProfile, _) = self
            .record("profile_datasource", json!({"datasource": DATASOURCE}))
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
                t.anomalies.iter().map(move |a| match &a.column {
                    Some(c) => format!("{} {}.{c}", a.id, t.table.name),
                    None => format!("{} {}", a.id, t.table.name),
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
        say(&recorded)?;
        Ok(profile)
    }

    /// Step 4: assess the architecture brief (recorded).
    async fn assess_architecture(&mut self) -> Result<()> {
        step(
            4,
            "Assess the architecture brief (templates/demo/brief.yaml)",
        )?;
        let brief: Value = yaml(embedded("demo/brief.yaml")?, "demo/brief.yaml")?;
        let (assessment, recorded): (ArchitectureAssessment, _) =
            self.record("assess_architecture", brief).await?;
        let patterns: Vec<String> = assessment
            .patterns
            .iter()
            .map(|p| format!("{} ({})", p.title, p.id))
            .collect();
        let picks: Vec<String> = assessment
            .technology
            .iter()
            .map(|l| match &l.path {
                Some(path)
                    if assessment
                        .technology
                        .iter()
                        .any(|o| o.layer == l.layer && o.path.as_ref() != Some(path)) =>
                {
                    format!("{} ({path}) {}", l.layer, l.tool)
                }
                _ => format!("{} {}", l.layer, l.tool),
            })
            .collect();
        say(&format!(
            "pattern {}; {} open questions about the brief",
            patterns.join(", "),
            assessment.questions.len()
        ))?;
        say(&format!("picks: {}", picks.join(", ")))?;
        say(&recorded)
    }

    /// Step 5: score the infrastructure from sample evidence (recorded).
    async fn score(&mut self) -> Result<()> {
        step(
            5,
            "Score the current infrastructure (rubric 0-100, templates/demo/score_before.yaml)",
        )?;
        let evidence: Value = yaml(
            embedded("demo/score_before.yaml")?,
            "demo/score_before.yaml",
        )?;
        let (score, recorded): (ScoreReport, _) =
            self.record("score_infrastructure", evidence).await?;
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
        say(&recorded)
    }

    /// Step 6: design the star schema (preview). Returns the model spec for the DDL.
    async fn design_model(&mut self) -> Result<Value> {
        step(
            6,
            "Design the dimensional model (templates/demo/model.yaml)",
        )?;
        let model: Value = yaml(embedded("demo/model.yaml")?, "demo/model.yaml")?;
        let (design, rendered) = self
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
        write(&self.dir, "preview/model.md", &rendered_or_fail(rendered)?)?;
        self.previewed_to("preview/model.md (with the Mermaid ERD)")?;
        Ok(model)
    }

    /// Step 7: the model's SQLite DDL (preview), executed in a new `model.db`.
    async fn generate_and_execute_ddl(&mut self, model: &Value) -> Result<()> {
        step(
            7,
            "Generate SQLite DDL for the model and execute it in model.db",
        )?;
        let (ddl, _) = self
            .preview::<DdlOutput>("generate_ddl", json!({"model": model, "dialect": "sqlite"}))
            .await?;
        let script: String = ddl
            .statements
            .iter()
            .map(|s| format!("{};\n\n", s.sql))
            .collect();
        write(&self.dir, "preview/model.sql", &script)?;
        let executed = sample::execute_ddl(&self.dir.join("model.db"), &ddl.statements).await?;
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
        self.previewed_to("preview/model.sql")
    }

    /// Step 8: checks from the declared expectations and the profile (preview), run on
    /// the warehouse; `all_found` when exactly the planted defects fail.
    async fn run_quality_checks(
        &mut self,
        profile: &DatasourceProfile,
        warehouse: &sample::Warehouse,
    ) -> Result<QualityOutcome> {
        step(
            8,
            "Generate quality checks (declared + suggested from the profile) and run them",
        )?;
        let expectations = self.app.templates.render(
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
            let (generated, _) = self
                .preview::<QualityChecks>(
                    "generate_quality_checks",
                    json!({"table": table, "profile": table_profile, "dialect": "sqlite"}),
                )
                .await?;
            let _ = writeln!(
                sql,
                "-- {name}\n{}",
                crate::domain::quality::outputs::sql_script(&generated.checks)
            );
            for check in generated.checks {
                checks.push(
                    serde_json::to_value(check)
                        .map_err(|e| Error::invalid(format!("check of `{name}`: {e}")))?,
                );
            }
        }
        write(&self.dir, "preview/checks.sql", &sql)?;
        let declared = checks
            .iter()
            .filter(|c| c["origin"] == json!("declared"))
            .count();
        let (run, rendered) = self
            .preview::<QualityRun>(
                "run_quality_checks",
                json!({"datasource": DATASOURCE, "checks": checks}),
            )
            .await?;
        write(
            &self.dir,
            "preview/quality_run.md",
            &rendered_or_fail(rendered)?,
        )?;
        say(&format!(
            "{} checks ({declared} declared, {} suggested), {} statements, {} ms: {} pass, {} fail",
            run.summary.total,
            run.summary.total.saturating_sub(declared),
            run.statements,
            run.duration_ms,
            run.summary.passed,
            run.summary.total.saturating_sub(run.summary.passed)
        ))?;
        let planted: Vec<Planted> = yaml(embedded(DEFECTS)?, DEFECTS)?;
        let all_found = compare(&run, &planted)?;
        self.previewed_to("preview/checks.sql, preview/quality_run.md")?;
        Ok(QualityOutcome {
            all_found,
            failing: run
                .results
                .iter()
                .filter(|r| !r.passed)
                .map(|r| r.id.clone())
                .collect(),
            checks,
        })
    }

    /// Step 9: the model as a dbt project in `dbt/` (preview): the warehouse's tables as
    /// seeds, a DuckDB profile whose database file is inside the folder, and the checks of
    /// step 8 as source tests. Built when a `dbt` executable is found (`DANA_DBT`, else
    /// `PATH`); otherwise the command to build it is printed. Never fails the demo.
    async fn generate_dbt_project(
        &mut self,
        model: &Value,
        quality: &QualityOutcome,
    ) -> Result<String> {
        step(
            9,
            "Generate the model as a dbt project (DuckDB) and build it on the sample",
        )?;
        let mut inputs: Value = yaml(embedded(DBT_INPUTS)?, DBT_INPUTS)?;
        inputs["checks"] = json!(quality.checks);
        let (project, _) = self
            .preview::<DdlOutput>(
                "generate_ddl",
                json!({"model": model, "dialect": "duckdb", "format": "dbt", "dbt": inputs}),
            )
            .await?;
        let root = self.dir.join("dbt");
        for file in &project.files {
            let path = root.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
            }
            std::fs::write(&path, &file.content).map_err(|e| Error::io("write", &path, e))?;
        }
        std::fs::create_dir_all(root.join("seeds"))
            .map_err(|e| Error::io("create", root.join("seeds"), e))?;
        let seeds = sample::export_csv(&self.dir.join("warehouse.db")).await?;
        for (table, csv) in &seeds {
            write(&root, &format!("seeds/{table}.csv"), csv)?;
        }
        let settings: Value = project
            .files
            .iter()
            .find(|f| f.path == "dbt_project.yml")
            .map(|f| yaml(&f.content, "dbt_project.yml"))
            .transpose()?
            .unwrap_or_default();
        let profile = settings["profile"].as_str().unwrap_or("dana").to_string();
        let profiles = crate::codegen::yaml::to_string(&json!({ profile: {
            "target": "demo",
            "outputs": {"demo": {"type": "duckdb", "path": "demo.duckdb", "threads": 1}},
        }}))?;
        write(&root, "profiles.yml", &profiles)?;
        let models = project
            .files
            .iter()
            .filter(|f| f.path.starts_with("models/") && f.path.ends_with(".sql"))
            .count();
        say(&format!(
            "dbt/: {} files ({models} models: staging views, SCD2 dimensions and the fact as incremental models), {} seeds, profiles.yml (DuckDB file dbt/demo.duckdb)",
            project.files.len(),
            seeds.len()
        ))?;
        let line = match dbt_executable() {
            None => {
                let line = format!(
                    "dbt not found (set DANA_DBT or put dbt-duckdb on PATH); to build: cd {} && {DBT_COMMAND}",
                    shell_quote(&root.display().to_string())
                );
                say(&line)?;
                line
            }
            Some(dbt) => {
                let line = dbt::build(&dbt, &root, &quality.failing)?;
                say(&line)?;
                line
            }
        };
        self.previewed_to("dbt/")?;
        Ok(line)
    }

    /// Step 10: the discover gate, evaluated and left pending for a human.
    async fn request_gate_review(&mut self) -> Result<GateReview> {
        step(10, "Request the discover gate review")?;
        let outcome = self
            .server
            .call_detached(
                "request_gate_review",
                json!({"project": PROJECT, "phase": "discover"}),
            )
            .await?;
        let review: GateReview = decode("request_gate_review", outcome.structured)?;
        let passing = review.criteria.iter().filter(|c| c.passed).count();
        say(&format!(
            "{}: {passing}/{} criteria pass; state `{}`: no MCP client here to ask, and no tool can approve",
            review.gate,
            review.criteria.len(),
            review.state.as_str()
        ))?;
        Ok(review)
    }

    /// Step 11: every phase document, from what the project recorded.
    async fn render_documents(&mut self) -> Result<()> {
        step(11, "Render the phase documents")?;
        let mut drafts = Vec::new();
        let phases: Vec<(String, String)> = self
            .app
            .playbooks
            .phases
            .phases
            .iter()
            .map(|p| (p.id.clone(), format!("docs/{}", p.document.file)))
            .collect();
        for (phase, path) in phases {
            let outcome = self
                .server
                .call_detached(
                    "render_phase_document",
                    json!({"project": PROJECT, "phase": phase, "write": true, "path": path}),
                )
                .await?;
            let doc: PhaseDocument = decode("render_phase_document", outcome.structured)?;
            if doc.missing.is_empty() {
                say(&format!(
                    "{path}: {}, every artifact of the phase recorded",
                    doc.status
                ))?;
            } else {
                drafts.push(doc.file);
            }
        }
        if let (Some(first), Some(last)) = (drafts.first(), drafts.last()) {
            say(&format!(
                "docs/: {} more drafts ({first} … {last}) list what their phases still need",
                drafts.len()
            ))?;
        }
        Ok(())
    }

    /// What was recorded, what was previewed, and the command that approves the gate.
    fn summary(&self, review: &GateReview, dbt: &str, started: Instant) -> String {
        let exe = std::env::args_os()
            .next()
            .map(|a| a.to_string_lossy().into_owned())
            .filter(|a| a.contains('/'))
            .unwrap_or_else(|| "dana".to_string());
        // The demo's state is the SQLite file in the folder; a DANA_DATABASE_URL in this
        // shell would point `dana gate` elsewhere.
        let env =
            if std::env::var(crate::store::DATABASE_URL_ENV).is_ok_and(|v| !v.trim().is_empty()) {
                format!("{}= ", crate::store::DATABASE_URL_ENV)
            } else {
                String::new()
            };
        let workspace = shell_quote(&self.dir.display().to_string());
        let base = format!("{env}{} --workspace {workspace} gate", shell_quote(&exe));
        // Only a suggested reviewer name for the printed command (the OS user recorded
        // with a decision comes from the user database, not from here). Never a
        // placeholder that works when pasted as is: the shell fills in the login name
        // when the environment does not say who this is.
        let user = ["USER", "LOGNAME"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
        let reviewer = match user {
            None => "\"$(id -un)\"".to_string(),
            Some(user) => shell_quote(&user),
        };
        let mut previews: Vec<(&str, Vec<&str>)> = Vec::new();
        for (tool, phase) in &self.previewed {
            match previews.iter_mut().find(|(p, _)| p == phase) {
                Some((_, tools)) if tools.contains(&tool.as_str()) => {}
                Some((_, tools)) => tools.push(tool),
                None => previews.push((phase, vec![tool])),
            }
        }
        let previews: Vec<String> = previews
            .iter()
            .map(|(phase, tools)| format!("{phase}: {}", tools.join(", ")))
            .collect();
        let mut s = String::new();
        let _ = writeln!(
            s,
            "\nRecorded in project `{PROJECT}` (discover): {}.",
            self.recorded.join(", ")
        );
        let _ = writeln!(
            s,
            "Previewed without `project` (a phase opens once the gates before it are approved):\n  {}.",
            previews.join("; ")
        );
        let _ = writeln!(s, "dbt project (dbt/): {dbt}");
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
            "\nDone in {:.1} s. Next: connect an MCP client to `dana serve --workspace {workspace}` (see README).",
            started.elapsed().as_secs_f64()
        );
        s
    }
}

/// The Markdown of a detached call (always rendered: a template error fails the call).
fn rendered_or_fail(rendered: Option<String>) -> Result<String> {
    rendered
        .ok_or_else(|| Error::invalid("a detached tool call returned no Markdown (a bug in dana)"))
}

fn decode<T: DeserializeOwned>(tool: &str, value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::invalid(format!("result of `{tool}`: {e}")))
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

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn shell_quoting_leaves_plain_words_and_quotes_the_rest() {
        assert_eq!(shell_quote("/tmp/dana-demo"), "/tmp/dana-demo");
        assert_eq!(shell_quote("alice"), "alice");
        assert_eq!(shell_quote("My Demo"), "'My Demo'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$(rm -rf ~)"), "'$(rm -rf ~)'");
        assert_eq!(shell_quote(""), "''");
    }
}
