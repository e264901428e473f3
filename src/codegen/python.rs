//! Python source text for generated orchestrator code: string literals and identifiers
//! derived from user input. The one place Python text is escaped.
