//! `lina`: the command line of SPEC §8. This file only parses arguments; each command is a
//! thin function in `commands.rs` over the library crates.
//!
//! Exit status: 0 success, 1 the program was rejected (parse, type or evaluation error),
//! 2 usage or I/O error.

mod commands;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lina",
    version,
    about = "Linear A: JVP, unzip and transpose, executable and checked"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Print the program in core form.
    Fmt {
        /// The program (`-` for standard input).
        file: String,
    },
    /// Evaluate a function and report its results and work.
    Eval {
        /// The program (`-` for standard input).
        file: String,
        /// The function to run.
        #[arg(long = "fn")]
        func: String,
        /// Nonlinear arguments, in literal syntax: "2.0, <1, 2>".
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        args: String,
        /// Linear arguments, in literal syntax.
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        linear_args: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Fmt { file } => commands::fmt(&file),
        Command::Eval {
            file,
            func,
            args,
            linear_args,
            format,
        } => commands::eval(&file, &func, &args, &linear_args, format),
    };
    ExitCode::from(status as u8)
}
