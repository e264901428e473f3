//! Prefect 3 flow: tasks with retries on an exponential delay list, the SLA as the flow's
//! timeout, an on-failure hook that alerts, the window and `dry_run` as flow parameters
//! (a backfill is one run per window) and a `serve` entry point with the cron schedule.

use super::{Context, common};
use crate::codegen::python;

/// The flow file.
pub fn file(ctx: Context) -> String {
    let spec = ctx.input.spec;
    let eh = &spec.error_handling;
    let head = common::head(
        &ctx,
        "Prefect flow (Prefect 3).",
        "UTC, datetime, timedelta",
        "from prefect import flow, task\nfrom prefect.runtime import flow_run\n",
    );
    let delays: Vec<String> = (0..eh.max_retries)
        .map(|i| {
            let d = u64::from(eh.retry_delay_seconds)
                .saturating_mul(u64::from(ctx.book.backoff_factor).saturating_pow(i));
            d.min(u64::from(ctx.book.max_retry_delay_seconds))
                .to_string()
        })
        .collect();
    let timeout = spec
        .sla_minutes
        .map(|m| format!("    timeout_seconds={},\n", u64::from(m) * 60))
        .unwrap_or_default();
    let ident = &ctx.ident;
    format!(
        r#"{head}

# Retries wait retry_delay_seconds, then {factor} times longer each time, at most {max_delay} s.
TASK_OPTIONS = {{"retries": {retries}, "retry_delay_seconds": [{delays}]}}


def alert_on_failure(flw, run, state) -> None:
    alert(f"{{PIPELINE['name']}}: flow run {{run.name}} failed: {{state.message}}")


@task(**TASK_OPTIONS)
def extract_step(win: dict[str, str], dry_run: bool) -> int:
    return extract(win, dry_run)


@task(**TASK_OPTIONS)
def pre_load_checks(win: dict[str, str], dry_run: bool) -> list[str]:
    return check(PRE_LOAD_CHECKS, win, dry_run)


@task(**TASK_OPTIONS)
def load_step(win: dict[str, str], dry_run: bool) -> int:
    return load(win, dry_run)


@task(**TASK_OPTIONS)
def post_load_checks(win: dict[str, str], dry_run: bool) -> list[str]:
    return check(POST_LOAD_CHECKS, win, dry_run)


@flow(
    name={name},
    description=PIPELINE["name"],
{timeout}    on_failure=[alert_on_failure],
)
def {ident}(
    window_start: datetime | None = None, window_end: datetime | None = None, dry_run: bool = True
) -> dict[str, str]:
    """One window (default: the period before the scheduled start); re-run a window to backfill it."""
    end = window_end or flow_run.scheduled_start_time or datetime.now(UTC)
    win = window(window_start or end - PERIOD, end)
    extract_step(win, dry_run)
    pre_load_checks(win, dry_run)
    load_step(win, dry_run)
    post_load_checks(win, dry_run)
    return win


if __name__ == "__main__":
    {ident}.serve(name={name}, cron=PIPELINE["schedule"])
"#,
        factor = ctx.book.backoff_factor,
        max_delay = ctx.book.max_retry_delay_seconds,
        retries = eh.max_retries,
        delays = delays.join(", "),
        name = python::string(ident),
    )
}
