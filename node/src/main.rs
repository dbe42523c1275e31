//! `tau`: one binary for everything a user of a tau network does.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
