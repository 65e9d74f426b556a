//! The tokenmaxx command line: parse the flags, run the command, map the
//! outcome to an exit code. Flags, dispatch, printing and progress live in
//! [`cli`]; the commands themselves in the library's `jobs`.

mod cli;

use clap::Parser;

fn main() {
    // clap's own messages quote the arguments as given: they are shown
    // through the same filter as ours (plain text, no raw escapes).
    let args = match cli::args::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let text = e.render().to_string();
            if e.use_stderr() {
                eprint!("{}", cli::print::terminal(&text));
            } else {
                print!("{}", cli::print::terminal(&text));
            }
            std::process::exit(e.exit_code());
        }
    };
    if let Err(e) = cli::run(args) {
        // Every error message already includes its cause.
        eprintln!("error: {}", cli::print::terminal(&e.to_string()));
        std::process::exit(1);
    }
}
