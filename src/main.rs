//! ai-forensics: parse the command line and dispatch to a command.
mod capture;
mod cli;
mod decode;
mod enrich;
mod error;
mod floor;
mod kernel;
mod launch;
mod output;
mod ph;
mod pipeline;
mod probe;
mod scope;
mod trace;

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

/// Help and version go to stdout (exit 0); any other parse error is one line, exit 64.
fn usage_error(e: clap::Error) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        _ => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("ai-forensics: {first} (see ai-forensics trace --help)");
            ExitCode::from(error::Kind::Usage.exit_code())
        }
    }
}

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match cli.command {
        cli::Command::Trace(args) => trace::run(args),
        cli::Command::BenchFloor { record, command } => floor::run(record, &command),
        cli::Command::Probe { json } => probe::run(json),
        cli::Command::Daemon(args) => ph::daemon::run(args),
        cli::Command::Ph { action } => match action {
            cli::PhAction::Eval(args) => ph::eval::run(&args),
            cli::PhAction::Replay(args) => ph::eval::replay(&args),
        },
        command => ph::commands::run(command),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let (code, msg) = error::report(&err);
            eprintln!("ai-forensics: {msg}");
            ExitCode::from(code)
        }
    }
}
