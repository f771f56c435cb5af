//! `lina`: the command line of SPEC §8. This file only parses arguments; each command is a
//! thin function in `commands.rs` over the library crates.
//!
//! Exit status: 0 success, 1 the program was rejected (parse, type or evaluation error),
//! 2 usage or I/O error.

// `#[macro_use]`: the `out!`/`outln!` macros of `commands.rs` serve every command module.
#[macro_use]
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
    /// Type-check a program (strict by default).
    Check {
        /// The program (`-` for standard input).
        file: String,
        /// Allow variables to be used any number of times (as people write programs).
        #[arg(long)]
        relaxed: bool,
        /// Also require every function to be in Linear B.
        #[arg(long)]
        linear_b: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Print the program in core form.
    Fmt {
        /// The program (`-` for standard input).
        file: String,
    },
    /// Make a relaxed program strict by inserting `dup` and `drop`.
    Elaborate { file: String },
    /// Forward mode: each `f` becomes `f.jvp`.
    Jvp { file: String },
    /// Split each function not in Linear B into `.nonlin` and `.lin`.
    Unzip {
        file: String,
        /// save-all (default), recompute-all, or budget=K.
        #[arg(long, default_value = "save-all")]
        policy: String,
    },
    /// Each linear function `g` of a Linear B program becomes `g.T`.
    Transpose { file: String },
    /// transpose ∘ unzip ∘ jvp: `f.jvp.nonlin` and `f.jvp.lin.T`.
    Vjp {
        file: String,
        #[arg(long, default_value = "save-all")]
        policy: String,
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
        /// Refuse to run more work than this (the work is known before running).
        #[arg(long, default_value_t = commands::DEFAULT_MAX_WORK)]
        max_work: u128,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The gradient of a function by reverse mode (VJP with cotangent 1 for a scalar result).
    Grad {
        file: String,
        #[arg(long = "fn")]
        func: String,
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        args: String,
        /// Cotangents of the results (default: 1 for a single real result).
        #[arg(long, allow_hyphen_values = true)]
        cotangent: Option<String>,
        #[arg(long, default_value = "save-all")]
        policy: String,
        /// Refuse to run more work than this (the work is known before running).
        #[arg(long, default_value_t = commands::DEFAULT_MAX_WORK)]
        max_work: u128,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Work and size of a function and of its JVP, unzipped halves, transpose and VJP.
    Cost {
        file: String,
        #[arg(long = "fn")]
        func: String,
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        args: String,
        #[arg(long, default_value = "save-all")]
        policy: String,
        /// Refuse to run more work than this (the work is known before running).
        #[arg(long, default_value_t = commands::DEFAULT_MAX_WORK)]
        max_work: u128,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version are successes; a usage error is status 2. Printing may fail too.
        Err(e) => {
            let (stream, status) = if e.use_stderr() {
                ("standard error", commands::Status::Usage)
            } else {
                ("standard output", commands::Status::Ok)
            };
            commands::wrote(e.print(), stream);
            return ExitCode::from(commands::finish(status) as u8);
        }
    };
    let status = match cli.command {
        Command::Check {
            file,
            relaxed,
            linear_b,
            format,
        } => commands::check(&file, relaxed, linear_b, format),
        Command::Fmt { file } => commands::fmt(&file),
        Command::Elaborate { file } => commands::transform(&file, commands::Pass::Elaborate),
        Command::Jvp { file } => commands::transform(&file, commands::Pass::Jvp),
        Command::Unzip { file, policy } => {
            commands::transform(&file, commands::Pass::Unzip(policy))
        }
        Command::Transpose { file } => commands::transform(&file, commands::Pass::Transpose),
        Command::Vjp { file, policy } => commands::transform(&file, commands::Pass::Vjp(policy)),
        Command::Eval {
            file,
            func,
            args,
            linear_args,
            max_work,
            format,
        } => commands::eval(
            &file,
            &func,
            &args,
            &linear_args,
            commands::Limits { max_work },
            format,
        ),
        Command::Grad {
            file,
            func,
            args,
            cotangent,
            policy,
            max_work,
            format,
        } => commands::grad(
            &file,
            &func,
            &args,
            cotangent.as_deref(),
            &policy,
            commands::Limits { max_work },
            format,
        ),
        Command::Cost {
            file,
            func,
            args,
            policy,
            max_work,
            format,
        } => commands::cost(
            &file,
            &func,
            &args,
            &policy,
            commands::Limits { max_work },
            format,
        ),
    };
    ExitCode::from(commands::finish(status) as u8)
}
