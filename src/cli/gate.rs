//! `dana gate status|approve|reject|clarify|answer PROJECT PHASE`: the human side of the
//! quality gates. A decision shows the criteria and artifacts first, then asks for
//! confirmation on the terminal; `--yes` skips the question and is recorded as
//! non-interactive. The OS user, reviewer and comment go into the audit log.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{Format, json, out};
use crate::App;
use crate::error::{Error, Result};
use crate::protocol::gate::{self, Decision, HumanAnswer, PhaseEval, Provenance};

/// Arguments of `dana gate`.
#[derive(Debug, Args)]
pub struct GateArgs {
    #[command(subcommand)]
    command: GateCommand,
}

#[derive(Debug, Subcommand)]
enum GateCommand {
    /// Show a gate: state, criteria, artifacts, questions and decisions.
    Status(StatusArgs),
    /// Approve a gate (Yes). Final: the project moves to the next phase.
    Approve(DecideArgs),
    /// Reject a gate (No), with the reasons in --comment.
    Reject(DecideArgs),
    /// Ask questions (Clarify); the gate can be reviewed again once they are answered.
    Clarify(ClarifyArgs),
    /// Answer an open Clarify question.
    Answer(AnswerArgs),
}

#[derive(Debug, Args)]
struct Target {
    /// Project id.
    project: String,
    /// Phase: discover, model, build, optimize or govern.
    phase: String,
}

#[derive(Debug, Args)]
struct StatusArgs {
    #[command(flatten)]
    target: Target,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

#[derive(Debug, Args)]
struct DecideArgs {
    #[command(flatten)]
    target: Target,
    /// Your name, recorded with the decision.
    #[arg(long)]
    reviewer: Option<String>,
    /// Comment; the reasons, for reject.
    #[arg(long, default_value = "")]
    comment: String,
    /// Do not ask for confirmation (scripted use; recorded as non-interactive).
    #[arg(long)]
    yes: bool,
}

#[derive(Debug, Args)]
struct ClarifyArgs {
    #[command(flatten)]
    decide: DecideArgs,
    /// A question to ask (repeat for several).
    #[arg(long = "question", value_name = "TEXT")]
    questions: Vec<String>,
}

#[derive(Debug, Args)]
struct AnswerArgs {
    #[command(flatten)]
    target: Target,
    /// Id of the question (required when several are open).
    #[arg(long)]
    question: Option<i64>,
    /// The answer.
    #[arg(long)]
    text: String,
    /// Who answers.
    #[arg(long)]
    reviewer: Option<String>,
}

pub(super) async fn run(workspace: &Path, args: GateArgs) -> Result<ExitCode> {
    let app = App::open(workspace)?;
    match args.command {
        GateCommand::Status(a) => {
            let (rows, evals, index) = gate::load(&app, &a.target.project, &a.target.phase).await?;
            let eval = &evals[index];
            match a.format {
                Format::Json => {
                    let status = crate::domain::project::status(&app, &a.target.project).await?;
                    let phase = status.phases.into_iter().find(|p| p.id == eval.phase);
                    out(&json(&serde_json::to_value(phase).unwrap_or_default()))?;
                }
                _ => out(&describe(&app, &a.target.project, eval, &rows))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        GateCommand::Approve(a) => decide(&app, a, Decision::Yes, Vec::new()).await,
        GateCommand::Reject(a) => decide(&app, a, Decision::No, Vec::new()).await,
        GateCommand::Clarify(a) => decide(&app, a.decide, Decision::Clarify, a.questions).await,
        GateCommand::Answer(a) => {
            let reviewer = a.reviewer.unwrap_or_default();
            let eval = gate::answer_question(
                &app,
                &a.target.project,
                &a.target.phase,
                a.question,
                &a.text,
                &reviewer,
            )
            .await?;
            let open = eval.open_questions().len();
            out(&format!(
                "answer recorded; gate {} is now {} ({open} question{} open)",
                eval.gate,
                eval.state.as_str(),
                if open == 1 { "" } else { "s" }
            ))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn decide(
    app: &App,
    a: DecideArgs,
    decision: Decision,
    questions: Vec<String>,
) -> Result<ExitCode> {
    let project = a.target.project.as_str();
    let phase = a.target.phase.as_str();
    let mut answer = HumanAnswer {
        decision,
        reviewer: a.reviewer.clone().unwrap_or_default(),
        comment: a.comment.clone(),
        questions,
    };
    // Fail on bad input before showing anything or asking.
    gate::validate_answer(&mut answer)?;
    let (rows, evals, index) = gate::load(app, project, phase).await?;
    let eval = &evals[index];
    let shown = gate::snapshot(app, &rows, phase);
    let verb = match decision {
        Decision::Yes => "APPROVE",
        Decision::No => "REJECT",
        Decision::Clarify => "ask questions on",
    };
    let reviewers = app.store().await?.reviewers().await?;
    if !reviewers.is_empty() {
        // A registered reviewer's passphrase is the confirmation; nothing else records a decision.
        if a.yes {
            return Err(Error::invalid(
                "--yes: reviewers are registered, so a decision needs a reviewer's passphrase; --yes cannot record one",
            ));
        }
        let Some(reviewer) = reviewers.iter().find(|r| r.name == answer.reviewer) else {
            return Err(Error::not_found(
                "reviewer",
                &answer.reviewer,
                reviewers.iter().map(|r| r.name.as_str()),
            ));
        };
        out(&describe(app, project, eval, &rows))?;
        let (pass, typed) = crate::protocol::reviewer::read_passphrase(&format!(
            "To {verb} gate {} of project `{project}`, passphrase of reviewer `{}`: ",
            eval.gate,
            crate::sanitize::sanitize_line(&answer.reviewer)
        ))?;
        let key = crate::protocol::reviewer::unlock(reviewer, &pass)?;
        let signed_at = crate::store::now();
        let message = crate::protocol::reviewer::decision_message(
            project,
            phase,
            &eval.gate,
            match decision {
                Decision::Yes => "approved",
                Decision::No => "rejected",
                Decision::Clarify => "clarify",
            },
            &answer.reviewer,
            &answer.comment,
            &shown,
            &signed_at,
        );
        let how = Provenance {
            channel: "terminal",
            os_user: gate::os_user(),
            interactive: typed,
            signature: Some(gate::Signed {
                signer: reviewer.name.clone(),
                signature: crate::protocol::reviewer::sign(&key, &message),
                signed_at,
            }),
        };
        let after = gate::decide(app, project, phase, None, Some(&shown), answer, &how).await?;
        return report(project, &after);
    }
    let interactive = if a.yes {
        false
    } else {
        if !std::io::stdin().is_terminal() {
            return Err(Error::invalid(
                "stdin is not a terminal, so nobody can confirm; run `dana gate` in a terminal, or pass `--yes` for scripted use (recorded as non-interactive)",
            ));
        }
        out(&describe(app, project, eval, &rows))?;
        let prompt = format!(
            "{verb} gate {} of project `{project}` as `{}`? Type `yes` to confirm: ",
            eval.gate,
            crate::sanitize::sanitize_line(&answer.reviewer)
        );
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(prompt.as_bytes());
        let _ = stderr.flush();
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::io("read", "stdin", e))?;
        if !line.trim().eq_ignore_ascii_case("yes") {
            out("not confirmed; nothing was recorded")?;
            return Ok(ExitCode::from(1));
        }
        true
    };
    let how = Provenance {
        channel: "terminal",
        os_user: gate::os_user(),
        interactive,
        signature: None,
    };
    let after = gate::decide(app, project, phase, None, Some(&shown), answer, &how).await?;
    report(project, &after)
}

/// Prints the gate's state after a decision.
fn report(project: &str, after: &PhaseEval) -> Result<ExitCode> {
    let mut text = format!(
        "gate {} of project `{project}` is now {}",
        after.gate,
        after.state.as_str()
    );
    if let Some(d) = &after.last_decision {
        text.push_str(&format!(
            " (decision `{}` by `{}`, audit row {}, {})",
            d.decision,
            crate::sanitize::sanitize_line(&d.reviewer),
            d.audit_seq,
            if d.interactive {
                "confirmed interactively"
            } else {
                "non-interactive"
            }
        ));
    }
    for q in after.open_questions() {
        text.push_str(&format!(
            "\n  open question #{}: {}",
            q.id,
            crate::sanitize::sanitize_line(&q.question)
        ));
    }
    out(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The gate as text for a terminal.
fn describe(
    app: &App,
    project: &str,
    eval: &PhaseEval,
    rows: &crate::store::protocol::ProtocolRows,
) -> String {
    use crate::sanitize::sanitize_line as clean;
    let book = &app.playbooks.phases;
    let title = book
        .phase(&eval.phase)
        .map(|p| format!("{}. {}", p.number, p.title))
        .unwrap_or_default();
    let mut s = format!(
        "Project `{project}`, phase `{}` ({title})\nGate {}: {}\n",
        eval.phase,
        eval.gate,
        eval.state.as_str()
    );
    if let Some((phase, gate)) = &eval.blocked_by {
        s.push_str(&format!(
            "Blocked: gate {gate} of phase `{phase}` is not approved yet.\n"
        ));
    }
    let overrides = gate::overrides(app);
    if !overrides.is_empty() {
        s.push_str(
            "\nWARNING: this workspace overrides dana's built-in playbooks or templates; what a criterion checks may differ from its wording:\n",
        );
        for (file, sha) in &overrides {
            s.push_str(&format!(
                "  {}  sha256 {}\n",
                clean(file),
                &sha[..16.min(sha.len())]
            ));
        }
        s.push_str(&format!(
            "  (decisions record the playbooks' hash {})\n",
            &app.playbooks.effective_sha256()[..16]
        ));
    }
    s.push_str("\nCriteria:\n");
    for c in &eval.criteria {
        s.push_str(&format!(
            "  [{}] {} {}\n         {}\n",
            if c.passed { "pass" } else { "FAIL" },
            clean(&c.id),
            clean(&c.description),
            clean(&c.detail)
        ));
    }
    s.push_str("\nArtifacts (latest of each kind):\n");
    let mut any = false;
    for a in rows.artifacts.iter().filter(|a| a.phase == eval.phase) {
        if rows
            .artifacts
            .iter()
            .any(|b| b.kind == a.kind && b.version > a.version)
        {
            continue;
        }
        any = true;
        s.push_str(&format!(
            "  {:<26} v{:<3} by {:<24} {}  sha256 {}\n",
            clean(&a.kind),
            a.version,
            clean(&a.tool),
            clean(&a.created_at),
            &a.content_sha256[..12.min(a.content_sha256.len())]
        ));
    }
    if !any {
        s.push_str("  (none recorded)\n");
    }
    if !eval.questions.is_empty() {
        s.push_str("\nQuestions:\n");
        for q in &eval.questions {
            match &q.answer {
                Some(ans) => s.push_str(&format!(
                    "  #{} {} -> {} ({})\n",
                    q.id,
                    clean(&q.question),
                    clean(ans),
                    clean(q.answered_by.as_deref().unwrap_or("-"))
                )),
                None => s.push_str(&format!(
                    "  #{} {} (open, asked by {})\n",
                    q.id,
                    clean(&q.question),
                    clean(&q.asked_by)
                )),
            }
        }
    }
    let decisions: Vec<_> = rows
        .decisions
        .iter()
        .filter(|d| d.phase == eval.phase)
        .collect();
    if !decisions.is_empty() {
        s.push_str("\nDecisions:\n");
        for d in decisions {
            s.push_str(&format!(
                "  {} {:<9} by {:<16} via {:<14} os user {:<10} {}{}\n",
                clean(&d.created_at),
                clean(&d.decision),
                if d.reviewer.is_empty() {
                    "-".to_string()
                } else {
                    clean(&d.reviewer)
                },
                clean(&d.channel),
                clean(&d.os_user),
                if d.interactive {
                    "interactive"
                } else {
                    "non-interactive"
                },
                if d.comment.is_empty() {
                    String::new()
                } else {
                    format!(": {}", clean(&d.comment))
                }
            ));
        }
    }
    s
}
