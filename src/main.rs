//! ai-forensics: parse the command line and dispatch to a command.
mod capture;
mod cli;
mod decode;
mod error;
mod floor;
mod kernel;
mod launch;
mod output;
mod pipeline;
mod trace;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Trace(args) => trace::run(args),
        cli::Command::BenchFloor { command } => floor::run(&command),
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
