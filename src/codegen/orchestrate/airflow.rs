//! Airflow 3 TaskFlow DAG: a cron trigger with the period as data interval, retries with
//! exponential backoff, the SLA as `dagrun_timeout`, failure callbacks that alert, and a
//! `dry_run` param.

use super::{Context, common};
use crate::codegen::python;

/// The DAG file.
pub fn file(ctx: Context) -> String {
    let spec = ctx.input.spec;
    let eh = &spec.error_handling;
    let head = common::head(
        &ctx,
        "Airflow DAG (TaskFlow API, Airflow 3).",
        "UTC, datetime, timedelta",
        "from airflow.sdk import CronTriggerTimetable, Param, dag, task\n",
    );
    let timeout = spec
        .sla_minutes
        .map(|m| format!("    dagrun_timeout=timedelta(minutes={m}),\n"))
        .unwrap_or_default();
    let (y, m, d) = date_parts(&ctx.book.start_date);
    let ident = &ctx.ident;
    format!(
        r#"{head}

def on_failure(context) -> None:
    """Alert every channel when a task fails or the run misses its SLA."""
    ti = context.get("ti")
    where = f"task {{ti.task_id}}" if ti else "run"
    alert(f"{{PIPELINE['name']}}: {{where}} failed: {{context.get('exception') or context.get('reason')}}")


@dag(
    dag_id={dag_id},
    description=PIPELINE["name"],
    schedule=CronTriggerTimetable(PIPELINE["schedule"], timezone="UTC", interval=PERIOD),
    start_date=datetime({y}, {m}, {d}, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
{timeout}    fail_fast={fail_fast},
    on_failure_callback=on_failure,
    default_args={{
        "owner": PIPELINE["owner"] or "airflow",
        "retries": {retries},
        "retry_delay": timedelta(seconds={delay}),
        "retry_exponential_backoff": {factor}.0,
        "max_retry_delay": timedelta(seconds={max_delay}),
        "on_failure_callback": on_failure,
    }},
    params={{"dry_run": Param(True, type="boolean", description="Log each step instead of running it")}},
    tags=["dana"],
)
def {ident}():
    @task
    def plan_window(data_interval_start=None, data_interval_end=None) -> dict[str, str]:
        return window(data_interval_start, data_interval_end)

    @task
    def extract_step(win: dict[str, str], params=None) -> int:
        return extract(win, params["dry_run"])

    @task
    def pre_load_checks(win: dict[str, str], params=None) -> list[str]:
        return check(PRE_LOAD_CHECKS, win, params["dry_run"])

    @task
    def load_step(win: dict[str, str], params=None) -> int:
        return load(win, params["dry_run"])

    @task
    def post_load_checks(win: dict[str, str], params=None) -> list[str]:
        return check(POST_LOAD_CHECKS, win, params["dry_run"])

    win = plan_window()
    extract_step(win) >> pre_load_checks(win) >> load_step(win) >> post_load_checks(win)


{ident}()
"#,
        dag_id = python::string(ident),
        fail_fast = if eh.strategy == "fail-fast" {
            "True"
        } else {
            "False"
        },
        retries = eh.max_retries,
        delay = eh.retry_delay_seconds,
        factor = ctx.book.backoff_factor,
        max_delay = ctx.book.max_retry_delay_seconds,
    )
}

/// `YYYY-MM-DD` as numbers without leading zeros (a Python `datetime(...)` call).
pub(super) fn date_parts(date: &str) -> (u32, u32, u32) {
    let mut it = date.split('-').map(|p| p.parse::<u32>().unwrap_or(1));
    (
        it.next().unwrap_or(2024),
        it.next().unwrap_or(1),
        it.next().unwrap_or(1),
    )
}
