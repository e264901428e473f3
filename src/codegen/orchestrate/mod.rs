//! Orchestrator code from a pipeline design: an Airflow TaskFlow DAG, Dagster assets with
//! asset checks and Definitions, a Prefect flow. Each is one self-contained Python file
//! holding the design as data (the pipeline, its checks, the load statements), the hooks
//! the user fills in (extract, load, checks, alerts) and the orchestrator wiring: schedule,
//! one window per run (re-runnable, backfilled by window), retries with exponential
//! backoff, the SLA, failure alerts. A `dry_run` parameter (on by default) runs every step
//! end to end, logging the window and what it would run, without touching any system.
//!
//! User text reaches the files only through [`crate::codegen::python`].

mod airflow;
mod common;
mod dagster;
mod prefect;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::GeneratedFile;
use super::python::Names;
use crate::domain::cdc::CdcDesign;
use crate::domain::pipeline::PipelineSpec;
use crate::error::{Error, Result};
use crate::playbook::pipeline::OrchestrationBook;

// An orchestrator dana writes code for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Orchestrator {
    // Airflow 3 TaskFlow DAG.
    Airflow,
    // Dagster assets, asset checks and Definitions.
    Dagster,
    // Prefect 3 flow.
    Prefect,
}

impl Orchestrator {
    /// The id used in paths and the playbook.
    pub fn id(self) -> &'static str {
        match self {
            Orchestrator::Airflow => "airflow",
            Orchestrator::Dagster => "dagster",
            Orchestrator::Prefect => "prefect",
        }
    }
}

/// Generated orchestrator code.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct OrchestratorCode {
    /// One Python file per orchestrator.
    pub files: Vec<GeneratedFile>,
    /// What the code cannot express, backfill commands, why a file is missing.
    pub notes: Vec<String>,
}

/// What the generators read: the computed spec, its decisions' rule ids, the CDC part.
pub struct Input<'a> {
    /// The pipeline spec.
    pub spec: &'a PipelineSpec,
    /// Rule id of the extraction decision.
    pub extraction_rule: &'a str,
    /// Rule id of the load decision.
    pub load_rule: &'a str,
    /// CDC part of the design (its statements are the load).
    pub cdc: Option<&'a CdcDesign>,
}

/// The length of one run's window, from the cron schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    /// Hourly at `minute`.
    Hour { minute: u32 },
    /// Daily at `hour:minute`.
    Day { minute: u32, hour: u32 },
    /// Weekly on `weekday` (0 = Sunday) at `hour:minute`.
    Week {
        minute: u32,
        hour: u32,
        weekday: u32,
    },
}

impl Period {
    /// The period of a cron expression, or `None` when it has no fixed hourly, daily or
    /// weekly period (steps, lists, ranges, day-of-month or month fields).
    fn of(schedule: &str) -> Option<Period> {
        match schedule.trim() {
            "@hourly" => return Some(Period::Hour { minute: 0 }),
            "@daily" | "@midnight" => return Some(Period::Day { minute: 0, hour: 0 }),
            "@weekly" => {
                return Some(Period::Week {
                    minute: 0,
                    hour: 0,
                    weekday: 0,
                });
            }
            _ => {}
        }
        let f: Vec<&str> = schedule.split_whitespace().collect();
        let [m, h, dom, mon, dow] = f.as_slice() else {
            return None;
        };
        let num = |s: &str, max: u32| s.parse::<u32>().ok().filter(|n| *n <= max);
        let minute = num(m, 59)?;
        if (*dom, *mon) != ("*", "*") {
            return None;
        }
        match (*h, *dow) {
            ("*", "*") => Some(Period::Hour { minute }),
            (h, "*") => Some(Period::Day {
                minute,
                hour: num(h, 23)?,
            }),
            (h, d) => Some(Period::Week {
                minute,
                hour: num(h, 23)?,
                weekday: num(d, 7)? % 7,
            }),
        }
    }

    /// The period as a Python `timedelta(...)`.
    fn timedelta(self) -> &'static str {
        match self {
            Period::Hour { .. } => "timedelta(hours=1)",
            Period::Day { .. } => "timedelta(days=1)",
            Period::Week { .. } => "timedelta(days=7)",
        }
    }

    fn minutes(self) -> u32 {
        match self {
            Period::Hour { .. } => 60,
            Period::Day { .. } => 1440,
            Period::Week { .. } => 10080,
        }
    }
}

/// Everything the three generators share: the design, the schedule and its period, the
/// playbook facts and the names derived for this file.
struct Context<'a> {
    input: &'a Input<'a>,
    book: &'a OrchestrationBook,
    schedule: String,
    period: Period,
    /// Python identifier of the pipeline (DAG id, job and flow name).
    ident: String,
    names: Names,
}

/// Names every generated file defines or imports; a derived name never takes one.
const RESERVED: &[&str] = &[
    "log",
    "logging",
    "datetime",
    "timedelta",
    "UTC",
    "PIPELINE",
    "PRE_LOAD_CHECKS",
    "POST_LOAD_CHECKS",
    "LOAD_SQL",
    "PERIOD",
    "window",
    "extract_window",
    "load_window",
    "run_sql",
    "run_check",
    "send_alert",
    "extract",
    "check",
    "load",
    "alert",
    "dag",
    "task",
    "Param",
    "CronTriggerTimetable",
    "on_failure",
    "dg",
    "RunConfig",
    "RETRY",
    "PARTITIONS",
    "FRESHNESS",
    "run_window",
    "staged",
    "target",
    "job",
    "schedule",
    "alert_on_failure",
    "defs",
    "flow",
    "flow_run",
    "exponential_backoff",
    "TASK_OPTIONS",
    "plan_window",
    "extract_step",
    "pre_load_checks",
    "load_step",
    "post_load_checks",
    "checks_result",
];

/// Orchestrator code for `which`, or notes saying why there is none.
pub fn generate(
    book: &OrchestrationBook,
    input: &Input,
    which: &[Orchestrator],
) -> Result<OrchestratorCode> {
    let mut code = OrchestratorCode::default();
    if which.is_empty() {
        return Ok(code);
    }
    let spec = input.spec;
    let load = spec.load.strategy.as_str();
    if let Some(u) = book
        .unscheduled
        .iter()
        .find(|u| u.strategy == spec.extract.strategy || u.strategy == load)
    {
        code.notes.push(u.why.clone());
        return Ok(code);
    }
    let schedule = spec
        .schedule
        .clone()
        .unwrap_or_else(|| book.default_schedule.clone());
    let period = Period::of(&schedule).unwrap_or_else(|| {
        code.notes
            .push(book.irregular_schedule.replace("{schedule}", &schedule));
        Period::Day { minute: 0, hour: 0 }
    });
    if let Some(note) = book.strategy_notes.get(&spec.extract.strategy) {
        code.notes.push(note.clone());
    }
    let mut done = Vec::new();
    for &o in which {
        if done.contains(&o) {
            continue;
        }
        done.push(o);
        let mut names = Names::new(RESERVED);
        let ident = names.ident(&spec.name);
        let ctx = Context {
            input,
            book,
            schedule: schedule.clone(),
            period,
            ident,
            names,
        };
        let notes = book
            .orchestrators
            .iter()
            .find(|n| n.id == o.id())
            .ok_or_else(|| {
                Error::invalid(format!(
                    "pipeline playbook: orchestration.orchestrators has no entry `{}`",
                    o.id()
                ))
            })?;
        for n in &notes.notes {
            code.notes
                .push(format!("{}: {}", o.id(), n.replace("{name}", &ctx.ident)));
        }
        let content = match o {
            Orchestrator::Airflow => airflow::file(ctx),
            Orchestrator::Dagster => dagster::file(ctx),
            Orchestrator::Prefect => prefect::file(ctx),
        };
        code.files.push(GeneratedFile {
            path: format!("{}/{}.py", o.id(), common::file_stem(spec)),
            content,
        });
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_of_cron() {
        assert_eq!(Period::of("0 * * * *"), Some(Period::Hour { minute: 0 }));
        assert_eq!(
            Period::of("30 2 * * *"),
            Some(Period::Day {
                minute: 30,
                hour: 2
            })
        );
        assert_eq!(
            Period::of("0 6 * * 7"),
            Some(Period::Week {
                minute: 0,
                hour: 6,
                weekday: 0
            })
        );
        assert_eq!(
            Period::of("@daily"),
            Some(Period::Day { minute: 0, hour: 0 })
        );
        for irregular in [
            "*/15 * * * *",
            "0 6 * * 1-5",
            "0 0 1 * *",
            "@monthly",
            "0 24 * * *",
        ] {
            assert_eq!(Period::of(irregular), None, "{irregular}");
        }
    }
}
