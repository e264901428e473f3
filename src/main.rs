//! The `dana` binary: parse the command line and hand over to the library.

/// jemalloc gives freed memory back to the OS (see `serve --http`); glibc malloc kept the
/// memory of thousands of expired HTTP sessions resident long after it was freed.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    match dana::cli::run() {
        Ok(code) => code,
        Err(e) => {
            // The library's messages already end with their cause (`read `x`: No such
            // file or directory`); printing the source chain again would say it twice.
            let e = anyhow::Error::new(e);
            eprintln!("error: {}", dana::sanitize::sanitize(&format!("{e}")));
            std::process::ExitCode::from(2)
        }
    }
}
