//! The commands: read the input, call the library, print the outcome. Rendering of
//! diagnostics happens here, at the edge, and nowhere else.

use crate::Format;
use semantics::{Diagnostic, FnDef, PrimTable, Program, Value};
use std::io::Read;

/// Exit statuses of SPEC §8.
#[derive(Clone, Copy)]
pub enum Status {
    Ok = 0,
    Rejected = 1,
    Usage = 2,
}

/// A loaded source file.
pub struct Source {
    pub name: String,
    pub text: String,
}

pub fn read_source(path: &str) -> Result<Source, Status> {
    let (name, text) = if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map(|_| ("<stdin>".to_string(), text))
    } else {
        std::fs::read_to_string(path).map(|t| (path.to_string(), t))
    }
    .map_err(|e| usage(&format!("cannot read `{path}`: {e}")))?;
    Ok(Source { name, text })
}

pub fn usage(message: &str) -> Status {
    eprintln!("lina: {message}");
    Status::Usage
}

/// Reports diagnostics for a rejected program: rendered on stderr, or as JSON on stdout.
pub fn reject(src: &Source, diags: &[Diagnostic], format: Format) -> Status {
    match format {
        Format::Text => eprint!("{}", semantics::render(diags, &src.name, &src.text)),
        Format::Json => {
            let out = serde_json::json!({"ok": false, "diagnostics": semantics::diagnostics_json(diags, &src.text)});
            println!("{out}");
        }
    }
    Status::Rejected
}

fn load(src: &Source, format: Format) -> Result<Program, Status> {
    semantics::parse(&src.text).map_err(|diags| reject(src, &diags, format))
}

pub fn fmt(path: &str) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load(&src, Format::Text)?;
        print!("{}", semantics::print(&prog));
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// Parses `text` as values for the parameters `params` (usage error on a count or shape mismatch).
fn arguments(
    text: &str,
    params: &[semantics::Param],
    what: &str,
    f: &FnDef,
) -> Result<Vec<Value>, Status> {
    let values = semantics::parse_values(text).map_err(|e| usage(&format!("{what}: {e}")))?;
    if values.len() != params.len() {
        return Err(usage(&format!(
            "`{}` takes {} {what}, given {}",
            f.name,
            params.len(),
            values.len()
        )));
    }
    for (i, (v, p)) in values.iter().zip(params).enumerate() {
        if !v.has_type(&p.ty) {
            return Err(usage(&format!(
                "{what} #{}: `{}` has type {}, given {v}",
                i + 1,
                f.name_of(p.var),
                p.ty
            )));
        }
    }
    Ok(values)
}

fn multi_text(nl: &[Value], lin: &[Value]) -> String {
    let list = |vs: &[Value]| {
        vs.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if lin.is_empty() {
        format!("({})", list(nl))
    } else {
        format!("({} ; {})", list(nl), list(lin))
    }
}

pub fn eval(path: &str, func: &str, args: &str, linear_args: &str, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load(&src, format)?;
        let id = prog
            .func_named(func)
            .ok_or_else(|| usage(&format!("no function `{func}` in {}", src.name)))?;
        let f = &prog.funcs[id.0 as usize];
        let nl = arguments(args, &f.params, "arguments", f)?;
        let lin = arguments(linear_args, &f.lparams, "linear arguments", f)?;
        let out = semantics::eval_fn(&prog, PrimTable::standard(), id, &nl, &lin)
            .map_err(|e| reject(&src, &[e.to_diagnostic()], format))?;
        match format {
            Format::Text => {
                println!("{}", multi_text(&out.nl, &out.lin));
                println!("work: {}", out.work);
            }
            Format::Json => {
                let json = |vs: &[Value]| vs.iter().map(Value::to_json).collect::<Vec<_>>();
                let out = serde_json::json!({"nonlinear": json(&out.nl), "linear": json(&out.lin), "work": out.work});
                println!("{out}");
            }
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}
