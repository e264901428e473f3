//! The `dana` binary: parse the command line and hand over to the library.

fn main() -> std::process::ExitCode {
    match dana::cli::run() {
        Ok(code) => code,
        Err(e) => {
            let e: anyhow::Error = e.into();
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
