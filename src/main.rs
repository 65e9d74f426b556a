//! The tokenmaxx command line: parse the flags, run the command, map the
//! outcome to an exit code. Flags, dispatch, printing and progress live in
//! [`cli`]; the commands themselves in the library's `jobs`.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::args::Cli::parse();
    if let Err(e) = cli::run(args) {
        // Every error message already includes its cause.
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
