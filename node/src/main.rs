//! `tau`: one binary for everything a user of a tau network does.

fn main() -> std::process::ExitCode {
    node::cli::run()
}
