//! Jinja (dbt) text for generated dbt models and tests: string literals inside `{{ }}` and SQL
//! bodies that must not be read as Jinja. The one place Jinja text is escaped.
