//! `lina`: the command line of SPEC §8. This file only parses arguments; each command is a
//! thin function in `commands.rs` over the library crates.
//!
//! Exit status: 0 success, 1 the program was rejected (parse, type or evaluation error),
//! 2 usage or I/O error.

// `#[macro_use]`: the `out!`/`outln!` macros of `commands.rs` serve every command module.
#[macro_use]
mod commands;
mod batch;
mod certify;
mod ll;
mod ops;
mod prove;
mod see;
mod simplify;

use clap::{Parser, Subcommand, ValueEnum};

/// The passes allocate many small vectors and strings (a slot name per binder, a vector per
/// binding); glibc's allocator spent a third of `vjp`'s time consolidating and unlinking free
/// chunks. mimalloc (a well-kept, widely used allocator) is several times faster at this load.
/// Built with `no_thp`: with transparent huge pages the kernel zeroed 2 MB pages on first touch,
/// half of `vjp`'s cycles at 10^5 lets (system time 1.38 s against 0.46 s without).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
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

/// Which pipeline computes reverse mode.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Route {
    /// JVP, unzip and transpose over Linear A and Linear B.
    #[default]
    LinearA,
    /// Through λLL: linearize to a closure, transpose the closure (no unzip).
    Ll,
}

#[derive(Subcommand)]
enum Command {
    /// Type-check programs (strict by default): one file, or many files and folders (every
    /// `.la` file under a folder), with one result per file and a summary.
    Check {
        /// The programs (`-` for standard input), or folders of them.
        #[arg(required = true)]
        files: Vec<String>,
        /// Allow variables to be used any number of times (as people write programs).
        #[arg(long)]
        relaxed: bool,
        /// Also require every function to be in Linear B.
        #[arg(long)]
        linear_b: bool,
        /// text, json, or jsonl (one `{"file", "ok", "diagnostics"}` object per line).
        #[arg(long, value_enum, default_value_t)]
        format: batch::CheckFormat,
    },
    /// Print the program in core form.
    Fmt {
        /// The program (`-` for standard input).
        file: String,
    },
    /// Make a relaxed program strict by inserting `dup` and `drop`.
    Elaborate { file: String },
    /// Forward mode: each `f` becomes `f.jvp`.
    Jvp {
        file: String,
        /// Write a certificate (proofs, work, linear forms) to this JSON file.
        #[arg(long)]
        certify: Option<String>,
    },
    /// Split each function not in Linear B into `.nonlin` and `.lin`.
    Unzip {
        file: String,
        /// save-all (default), recompute-all, or budget=K.
        #[arg(long, default_value = "save-all")]
        policy: String,
        /// Write a certificate (proofs, work, linear forms) to this JSON file.
        #[arg(long)]
        certify: Option<String>,
    },
    /// Each linear function `g` of a Linear B program becomes `g.T`.
    Transpose {
        file: String,
        /// Write a certificate (proofs, work, linear forms) to this JSON file.
        #[arg(long)]
        certify: Option<String>,
    },
    /// transpose ∘ unzip ∘ jvp: `f.jvp.nonlin` and `f.jvp.lin.T`.
    Vjp {
        file: String,
        #[arg(long, default_value = "save-all")]
        policy: String,
        /// `ll`: print the λLL reverse-mode program instead.
        #[arg(long, value_enum, default_value_t)]
        route: Route,
        /// Write a certificate (proofs, work, linear forms) to this JSON file.
        #[arg(long, conflicts_with_all = ["route", "simplify"])]
        certify: Option<String>,
        /// Print the VJP simplified by the e-graph (proved equal, never more work).
        #[arg(long, conflicts_with = "route")]
        simplify: bool,
    },
    /// Re-check a certificate with the kernel (exit 0 accepted, 1 rejected, 2 unreadable).
    Verify {
        cert: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// A cheaper equivalent by the work model: equality saturation, extraction, and a proof
    /// that each simplified function equals its input.
    Simplify {
        file: String,
        /// Only this function and what it calls.
        #[arg(long = "fn")]
        func: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Encode a Linear A program into λLL (the linear λ-calculus) and print it.
    Encode { file: String },
    /// Prove, over the reals, that JVP, unzip and transpose preserve meaning on a program.
    Prove {
        file: String,
        /// jvp, unzip, transpose, vjp or all.
        #[arg(long, default_value = "all")]
        claim: String,
        /// One checkpoint policy (default: save-all, recompute-all and budget=1).
        #[arg(long)]
        policy: Option<String>,
        /// Print each rewrite step.
        #[arg(long)]
        explain: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Prove that two programs agree: same-named functions, a transpose, or a derivative.
    Equiv {
        /// The reference program (with --adjoint: the linear program; with --derivative: f).
        a: String,
        /// The program to check against it.
        b: String,
        /// Only this function (same-named mode).
        #[arg(long = "fn")]
        func: Option<String>,
        /// Each `g.T` of B is the transpose of `g` in A.
        #[arg(long, conflicts_with_all = ["derivative", "func"])]
        adjoint: bool,
        /// Each `f.jvp` (or `f.jvp.nonlin` and `f.jvp.lin.T`) of B is the JVP (VJP) of `f` in A.
        #[arg(long, conflicts_with = "func")]
        derivative: bool,
        #[arg(long)]
        explain: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
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
        /// `ll`: compute it through λLL, without unzipping.
        #[arg(long, value_enum, default_value_t)]
        route: Route,
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
    /// Hessian-vector product H v of a function with one real result, by forward over reverse
    /// (JVP of the forgotten VJP).
    Hvp {
        file: String,
        #[arg(long = "fn")]
        func: String,
        /// The point x, in literal syntax: "2.0, <1, 2>".
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        args: String,
        /// The direction v, shaped like the arguments.
        #[arg(long, allow_hyphen_values = true)]
        direction: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// The Hessian of a function with one real result and at most 32 parameter scalars
    /// (one HVP per basis direction; row i holds d²f/dx_i dx_j).
    Hessian {
        file: String,
        #[arg(long = "fn")]
        func: String,
        #[arg(long, default_value = "", allow_hyphen_values = true)]
        args: String,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// A dataflow picture: one node per binding, nonlinear values blue, linear orange,
    /// residuals red, recomputed bindings yellow, transposed edges reversed, one frame per
    /// function. SVG (laid out in-process) or Graphviz DOT.
    Dot {
        file: String,
        /// Draw only what this function became, and its callees.
        #[arg(long = "fn")]
        func: Option<String>,
        /// none, jvp, unzip, transpose or vjp (for a nonlinear program, unzip and transpose
        /// follow the JVP, as in reverse mode).
        #[arg(long, default_value = "none")]
        pass: String,
        /// The checkpoint policy of unzip: save-all (default), recompute-all, or budget=K.
        #[arg(long, default_value = "save-all")]
        policy: String,
        #[arg(long, value_enum, default_value_t)]
        format: see::Picture,
    },
    /// The typing derivation: a plain-text tree, a LaTeX `bussproofs` proof tree (rule names
    /// as labels, the linear context shown), or JSON.
    Derive {
        file: String,
        /// Only this function's derivation.
        #[arg(long = "fn")]
        func: Option<String>,
        /// Derive in relaxed mode (variables used any number of times), as `check --relaxed`.
        #[arg(long)]
        relaxed: bool,
        #[arg(long, value_enum, default_value_t)]
        format: see::Proof,
    },
    /// A Python module with one jax.numpy function per function (linear ones forgotten first:
    /// their linear parameters follow the others), tuples as tuples.
    ExportJax { file: String },
    /// Arithmetic operations executed by a function and by its gradient program (the
    /// `vjp` halves `lina grad` runs), by kind: primitives, linear adds, scales.
    Ops {
        file: String,
        #[arg(long = "fn")]
        func: String,
        #[arg(long, default_value = "save-all")]
        policy: String,
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
            files,
            relaxed,
            linear_b,
            format,
        } => batch::check(&files, relaxed, linear_b, format),
        Command::Fmt { file } => commands::fmt(&file),
        Command::Elaborate { file } => commands::transform(&file, commands::Pass::Elaborate),
        Command::Jvp {
            file,
            certify: Some(c),
        } => certify::transform(&file, certify::Which::Jvp, &c),
        Command::Unzip {
            file,
            policy,
            certify: Some(c),
        } => certify::transform(&file, certify::Which::Unzip(policy), &c),
        Command::Transpose {
            file,
            certify: Some(c),
        } => certify::transform(&file, certify::Which::Transpose, &c),
        Command::Vjp {
            file,
            policy,
            certify: Some(c),
            ..
        } => certify::transform(&file, certify::Which::Vjp(policy), &c),
        Command::Verify { cert, format } => certify::verify(&cert, format),
        Command::Jvp { file, .. } => commands::transform(&file, commands::Pass::Jvp),
        Command::Unzip { file, policy, .. } => {
            commands::transform(&file, commands::Pass::Unzip(policy))
        }
        Command::Transpose { file, .. } => commands::transform(&file, commands::Pass::Transpose),
        Command::Vjp {
            file,
            route: Route::Ll,
            ..
        } => ll::vjp(&file),
        Command::Vjp {
            file,
            policy,
            simplify: true,
            ..
        } => simplify::vjp(&file, &policy, Format::Text),
        Command::Vjp { file, policy, .. } => {
            commands::transform(&file, commands::Pass::Vjp(policy))
        }
        Command::Simplify { file, func, format } => {
            simplify::simplify_file(&file, func.as_deref(), format)
        }
        Command::Encode { file } => ll::encode(&file),
        Command::Prove {
            file,
            claim,
            policy,
            explain,
            format,
        } => prove::prove(&file, &claim, policy.as_deref(), explain, format),
        Command::Equiv {
            a,
            b,
            func,
            adjoint,
            derivative,
            explain,
            format,
        } => {
            let mode = if adjoint {
                prove::EquivMode::Adjoint
            } else if derivative {
                prove::EquivMode::Derivative
            } else {
                prove::EquivMode::Same(func)
            };
            prove::equiv(&a, &b, mode, explain, format)
        }
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
            route: Route::Ll,
            max_work,
            format,
            ..
        } => ll::grad(
            &file,
            &func,
            &args,
            cotangent.as_deref(),
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
            ..
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
        Command::Hvp {
            file,
            func,
            args,
            direction,
            format,
        } => see::hvp(&file, &func, &args, &direction, format),
        Command::Hessian {
            file,
            func,
            args,
            format,
        } => see::hessian(&file, &func, &args, format),
        Command::Dot {
            file,
            func,
            pass,
            policy,
            format,
        } => see::dot(&file, func.as_deref(), &pass, &policy, format),
        Command::Derive {
            file,
            func,
            relaxed,
            format,
        } => see::derive(&file, func.as_deref(), relaxed, format),
        Command::ExportJax { file } => see::export_jax(&file),
        Command::Ops {
            file,
            func,
            policy,
            format,
        } => ops::ops(&file, &func, &policy, format),
    };
    ExitCode::from(commands::finish(status) as u8)
}
