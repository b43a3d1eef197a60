//! See the `coordinator` library for the program.

fn main() -> std::process::ExitCode {
    coordinator::cli::run()
}
