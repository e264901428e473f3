//! Content tests: every playbook parses and validates, IDs are unique, weights sum to
//! 100, every template a playbook references exists, and bad overrides fail with the
//! file, the line and what is wrong.

use dana::playbook::{EMBEDDED, Playbooks};
use dana::render::Templates;

#[test]
fn embedded_playbooks_load_and_validate() {
    let books = Playbooks::embedded().expect("embedded playbooks parse");
    books.validate_all().expect("embedded playbooks are valid");
    let names: Vec<&str> = books.names().collect();
    for (name, _) in EMBEDDED {
        assert!(names.contains(name), "playbook {name} registered");
    }
    assert_eq!(
        books
            .phases
            .phases
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>(),
        ["discover", "model", "build", "optimize", "govern"]
    );
}

#[test]
fn rubric_weights_are_the_methodology_s() {
    let books = Playbooks::embedded().unwrap();
    let weights: Vec<(&str, u32)> = books
        .rubric
        .dimensions
        .iter()
        .map(|d| (d.id.as_str(), d.weight))
        .collect();
    assert_eq!(
        weights,
        [
            ("reliability", 20),
            ("data_quality", 20),
            ("performance", 15),
            ("documentation", 10),
            ("monitoring", 15),
            ("testing", 10),
            ("cost_efficiency", 10)
        ]
    );
    assert_eq!(weights.iter().map(|(_, w)| w).sum::<u32>(), 100);
    let bands: Vec<(u32, u32)> = books.rubric.bands.iter().map(|b| (b.min, b.max)).collect();
    assert_eq!(bands, [(0, 40), (41, 60), (61, 80), (81, 100)]);
}

#[test]
fn ids_are_unique_across_each_playbook() {
    let books = Playbooks::embedded().unwrap();
    let mut seen = std::collections::HashSet::new();
    for phase in &books.phases.phases {
        assert!(seen.insert(phase.gate.id.clone()), "{}", phase.gate.id);
        for step in &phase.steps {
            assert!(seen.insert(step.id.clone()), "{}", step.id);
        }
        for c in &phase.gate.criteria {
            assert!(seen.insert(c.id.clone()), "{}", c.id);
        }
    }
    for dim in &books.rubric.dimensions {
        assert!(seen.insert(dim.code.clone()), "{}", dim.code);
        for c in &dim.criteria {
            assert!(seen.insert(c.id.clone()), "{}", c.id);
        }
    }
}

#[test]
fn every_referenced_template_exists() {
    let books = Playbooks::embedded().unwrap();
    let templates = Templates::new(None);
    for phase in &books.phases.phases {
        assert!(
            templates.exists(&phase.document.template),
            "phase {} references missing template {}",
            phase.id,
            phase.document.template
        );
    }
    for prompt in &books.prompts.prompts {
        assert!(
            templates.exists(&prompt.template),
            "prompt {} references missing template {}",
            prompt.name,
            prompt.template
        );
    }
}

fn override_error(file: &str, text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), text).unwrap();
    format!("{:#}", Playbooks::load(Some(dir.path())).unwrap_err())
}

#[test]
fn malformed_override_names_file_and_line() {
    let err = override_error("rubric.yaml", "version: 1\ndimensions:\n  - id: [oops\n");
    assert!(err.contains("rubric.yaml"), "{err}");
    assert!(
        err.contains(":3:") || err.contains(":4:"),
        "line reported: {err}"
    );
}

#[test]
fn override_with_bad_weights_is_refused_with_its_line() {
    let text = dana::playbook::EMBEDDED
        .iter()
        .find(|(n, _)| *n == "rubric")
        .unwrap()
        .1
        .replacen("weight: 20", "weight: 25", 1);
    let err = override_error("rubric.yaml", &text);
    assert!(err.contains("sum to 105, not 100"), "{err}");
    assert!(err.contains("rubric.yaml:"), "{err}");
}

#[test]
fn duplicate_id_in_override_points_at_the_duplicate() {
    let text = dana::playbook::EMBEDDED
        .iter()
        .find(|(n, _)| *n == "phases")
        .unwrap()
        .1
        .replace("id: GATE-MODEL-03", "id: GATE-MODEL-02");
    let err = override_error("phases.yaml", &text);
    assert!(
        err.contains("duplicate gate criterion id `GATE-MODEL-02`"),
        "{err}"
    );
    let line: usize = err
        .split("phases.yaml:")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .and_then(|n| n.parse().ok())
        .expect("line number");
    let expected = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("GATE-MODEL-02"))
        .last()
        .unwrap()
        .0
        + 1;
    assert_eq!(line, expected, "{err}");
}

#[test]
fn unknown_override_file_is_refused() {
    let err = override_error("rubrik.yaml", "version: 1\n");
    assert!(err.contains("no playbook is named `rubrik`"), "{err}");
}

#[test]
fn valid_override_replaces_the_embedded_playbook() {
    let dir = tempfile::tempdir().unwrap();
    let text = dana::playbook::EMBEDDED
        .iter()
        .find(|(n, _)| *n == "rubric")
        .unwrap()
        .1
        .replace("label: Solid", "label: Sturdy");
    std::fs::write(dir.path().join("rubric.yaml"), text).unwrap();
    let books = Playbooks::load(Some(dir.path())).unwrap();
    assert!(books.rubric.bands.iter().any(|b| b.label == "Sturdy"));
}

#[test]
fn templates_are_strict_and_overridable() {
    let templates = Templates::new(None);
    let err = templates
        .render("reports/score.md.j2", serde_json::json!({"total": 1}))
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("reports/score.md.j2"),
        "{err:#}"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("reports")).unwrap();
    std::fs::write(dir.path().join("reports/score.md.j2"), "custom {{ total }}").unwrap();
    let templates = Templates::new(Some(dir.path()));
    let text = templates
        .render("reports/score.md.j2", serde_json::json!({"total": 7}))
        .unwrap();
    assert_eq!(text, "custom 7");
}
