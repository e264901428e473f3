//! Dagster code: a staged asset carrying the pre-load checks and the target asset carrying
//! the post-load checks (asset checks, blocking unless the error strategy skips and
//! alerts), time partitions of the schedule's period, a partitioned job with its schedule,
//! a retry policy with exponential backoff, the SLA as freshness policy and run time limit,
//! a run-failure sensor that alerts, all in one `Definitions`.

use super::{Context, Period, common};
use crate::codegen::python;

/// The definitions file.
pub fn file(mut ctx: Context) -> String {
    let spec = ctx.input.spec;
    let eh = &spec.error_handling;
    let staged = ctx.names.ident(&format!("{}_staged", spec.name));
    let target = ctx.names.ident(&spec.load.target_table);
    let pre = check_names(&mut ctx, &spec.quality_gates.pre_load, "PRE-LOAD");
    let post = check_names(&mut ctx, &spec.quality_gates.post_load, "POST-LOAD");
    let head = common::head(
        &ctx,
        "Dagster assets, asset checks and Definitions.",
        "datetime, timedelta",
        "import dagster as dg\n",
    );
    let start = &ctx.book.start_date;
    let partitions = match ctx.period {
        Period::Hour { minute } => format!(
            "dg.HourlyPartitionsDefinition(start_date=\"{start}-00:00\", minute_offset={minute}, timezone=\"UTC\")"
        ),
        Period::Day { minute, hour } => format!(
            "dg.DailyPartitionsDefinition(start_date=\"{start}\", minute_offset={minute}, hour_offset={hour}, timezone=\"UTC\")"
        ),
        Period::Week {
            minute,
            hour,
            weekday,
        } => format!(
            "dg.WeeklyPartitionsDefinition(\n    start_date=\"{start}\", minute_offset={minute}, hour_offset={hour}, day_offset={weekday}, timezone=\"UTC\"\n)"
        ),
    };
    let (freshness, freshness_arg, tags) = match spec.sla_minutes {
        Some(sla) => {
            let period = ctx.period.minutes();
            let warn = sla * ctx.book.sla_warn_pct / 100;
            (
                format!(
                    "# Newest data may be one period plus the SLA old; warn at {pct}% of the SLA (MON-RUNTIME).\nFRESHNESS = dg.FreshnessPolicy.time_window(\n    fail_window=timedelta(minutes={fail}), warn_window=timedelta(minutes={warnw})\n)\n",
                    pct = ctx.book.sla_warn_pct,
                    fail = period + sla,
                    warnw = period + warn,
                ),
                "    freshness_policy=FRESHNESS,\n",
                format!("tags={{\"dagster/max_runtime\": {}}}, ", sla * 60),
            )
        }
        None => (String::new(), "", String::new()),
    };
    let blocking = if eh.strategy == "skip-and-alert" {
        "False"
    } else {
        "True"
    };
    format!(
        r#"{head}

class RunConfig(dg.Config):
    dry_run: bool = True


RETRY = dg.RetryPolicy(max_retries={retries}, delay={delay}, backoff=dg.Backoff.EXPONENTIAL)
PARTITIONS = {partitions}
{freshness}

def run_window(context: dg.AssetExecutionContext) -> dict[str, str]:
    span = context.partition_time_window
    return window(span.start, span.end)


def checks_result(
    checks: list[tuple[str, str]], names: list[str], failed: list[str], dry_run: bool
) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(
            check_name=name,
            passed=check_id not in failed,
            description=text,
            metadata={{"check_id": check_id, "evaluated": not dry_run}},
        )
        for (check_id, text), name in zip(checks, names, strict=True)
    ]


PRE_LOAD_CHECK_NAMES = {pre_names}
POST_LOAD_CHECK_NAMES = {post_names}


@dg.asset(
    name={staged},
    description=PIPELINE["source_object"],
    group_name={group},
    partitions_def=PARTITIONS,
    retry_policy=RETRY,
    check_specs=[
        dg.AssetCheckSpec(name=name, asset={staged}, description=text, blocking={blocking})
        for (_, text), name in zip(PRE_LOAD_CHECKS, PRE_LOAD_CHECK_NAMES, strict=True)
    ],
)
def staged(context: dg.AssetExecutionContext, config: RunConfig):
    win = run_window(context)
    rows = extract(win, config.dry_run)
    failed = check(PRE_LOAD_CHECKS, win, config.dry_run)
    yield dg.MaterializeResult(metadata={{"window": str(win), "rows": rows, "dry_run": config.dry_run}})
    yield from checks_result(PRE_LOAD_CHECKS, PRE_LOAD_CHECK_NAMES, failed, config.dry_run)


@dg.asset(
    name={target},
    description=PIPELINE["target_table"],
    group_name={group},
    deps=[staged],
    partitions_def=PARTITIONS,
    retry_policy=RETRY,
{freshness_arg}    check_specs=[
        dg.AssetCheckSpec(name=name, asset={target}, description=text, blocking={blocking})
        for (_, text), name in zip(POST_LOAD_CHECKS, POST_LOAD_CHECK_NAMES, strict=True)
    ],
)
def target(context: dg.AssetExecutionContext, config: RunConfig):
    win = run_window(context)
    rows = load(win, config.dry_run)
    failed = check(POST_LOAD_CHECKS, win, config.dry_run)
    yield dg.MaterializeResult(metadata={{"window": str(win), "rows": rows, "dry_run": config.dry_run}})
    yield from checks_result(POST_LOAD_CHECKS, POST_LOAD_CHECK_NAMES, failed, config.dry_run)


job = dg.define_asset_job(
    name={job}, selection=[staged, target], partitions_def=PARTITIONS, {tags}description=PIPELINE["name"]
)
schedule = dg.build_schedule_from_partitioned_job(job)


@dg.run_failure_sensor(monitored_jobs=[job])
def alert_on_failure(context: dg.RunFailureSensorContext) -> None:
    alert(f"{{PIPELINE['name']}}: run {{context.dagster_run.run_id}} failed: {{context.failure_event.message}}")


defs = dg.Definitions(assets=[staged, target], jobs=[job], schedules=[schedule], sensors=[alert_on_failure])
"#,
        retries = eh.max_retries,
        delay = eh.retry_delay_seconds,
        pre_names = names_list(&pre),
        post_names = names_list(&post),
        staged = python::string(&staged),
        target = python::string(&target),
        group = python::string(&ctx.ident),
        job = python::string(&ctx.ident),
    )
}

/// Asset check names (valid, unique in the file) for the checks' ids.
fn check_names(ctx: &mut Context, list: &[String], prefix: &str) -> Vec<String> {
    common::checks(list, prefix)
        .iter()
        .map(|(id, _)| ctx.names.ident(id))
        .collect()
}

fn names_list(names: &[String]) -> String {
    let parts: Vec<String> = names.iter().map(|n| python::string(n)).collect();
    format!("[{}]", parts.join(", "))
}
