//! The `autocalls-tui` binary: everything lives in the library; see `cli::main`.

fn main() -> std::process::ExitCode {
    autocalls_tui::cli::main()
}
