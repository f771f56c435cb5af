//! Glue of the commands that show and extend a program: `hvp` and `hessian` (forward over
//! reverse, `rewrite::Hvp`), `dot` (dataflow pictures, `rewrite::dataflow`) and `derive`
//! (typing derivations, `checker::present`).

use crate::Format;
use crate::commands::{self, Status, arguments, find, list, load_checked, read_source, usage};
use semantics::{PrimTable, Program, Value};

/// Builds the HVP program of `func`, mapping "not a scalar function" to a usage error (as
/// `grad` does for a missing cotangent).
fn hvp_program(
    prog: &Program,
    func: &str,
    src: &commands::Source,
    format: Format,
) -> Result<rewrite::Hvp, Status> {
    let (id, _) = find(prog, func, src)?;
    rewrite::Hvp::new(prog, PrimTable::standard(), id).map_err(|e| match e {
        rewrite::RewriteError::NotScalar { .. } => usage(&e.to_string()),
        _ => commands::rejected(src, &e, format),
    })
}

pub fn hvp(path: &str, func: &str, args: &str, direction: &str, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load_checked(&src, format)?;
        let (_, f) = find(&prog, func, &src)?;
        let x = arguments(args, &f.params, "arguments", f)?;
        let v = arguments(direction, &f.params, "direction values", f)?;
        let h = hvp_program(&prog, func, &src, format)?;
        let out = h
            .at(PrimTable::standard(), &x, &v)
            .map_err(|e| commands::reject(&src, &[e.to_diagnostic()], format))?;
        match format {
            Format::Text => {
                outln!("value: {}", list(&out.value));
                outln!("gradient: {}", list(&out.gradient));
                outln!("hvp: {}", list(&out.hvp));
            }
            Format::Json => outln!(
                "{}",
                serde_json::json!({
                    "value": commands::values_json(&out.value),
                    "gradient": commands::values_json(&out.gradient),
                    "hvp": commands::values_json(&out.hvp),
                })
            ),
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

pub fn hessian(path: &str, func: &str, args: &str, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load_checked(&src, format)?;
        let (_, f) = find(&prog, func, &src)?;
        let x = arguments(args, &f.params, "arguments", f)?;
        let h = hvp_program(&prog, func, &src, format)?;
        if h.dimension() > rewrite::HESSIAN_LIMIT {
            return Err(usage(&format!(
                "`{func}` has {} parameter scalars; `hessian` takes at most {} (use `hvp`)",
                h.dimension(),
                rewrite::HESSIAN_LIMIT
            )));
        }
        let m = h
            .hessian(PrimTable::standard(), &x)
            .map_err(|e| commands::reject(&src, &[e.to_diagnostic()], format))?;
        match format {
            Format::Text => {
                for row in &m {
                    let row: Vec<Value> = row.iter().map(|&x| Value::Real(x)).collect();
                    outln!("{}", list(&row));
                }
            }
            Format::Json => {
                let rows: Vec<serde_json::Value> = m
                    .iter()
                    .map(|row| {
                        let row: Vec<Value> = row.iter().map(|&x| Value::Real(x)).collect();
                        commands::values_json(&row)
                    })
                    .collect();
                outln!("{}", serde_json::json!({ "hessian": rows }));
            }
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// `lina dot`'s output formats.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Picture {
    #[default]
    Svg,
    Dot,
}

pub fn dot(path: &str, func: Option<&str>, pass: &str, pol: &str, format: Picture) -> Status {
    let run = || -> Result<Status, Status> {
        let stage = rewrite::dataflow::Stage::parse(pass).ok_or_else(|| {
            usage(&format!(
                "unknown pass `{pass}` (use none, jvp, unzip, transpose or vjp)"
            ))
        })?;
        let policy = commands::policy(pol)?;
        let src = read_source(path)?;
        let prog = commands::load(&src, Format::Text)?;
        if let Some(name) = func {
            find(&prog, name, &src)?;
        }
        let g = rewrite::dataflow::dataflow(&prog, PrimTable::standard(), stage, policy, func)
            .map_err(|e| commands::rejected(&src, &e, Format::Text))?;
        match format {
            Picture::Svg => out!("{}", g.to_svg()),
            Picture::Dot => out!("{}", g.to_dot()),
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// `lina derive`'s output formats.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Proof {
    #[default]
    Text,
    Latex,
    Json,
}

pub fn derive(path: &str, func: Option<&str>, relaxed: bool, format: Proof) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let json = if format == Proof::Json {
            Format::Json
        } else {
            Format::Text
        };
        let prog = commands::load(&src, json)?;
        let checked = checker::check(&prog, PrimTable::standard(), checker::Options { relaxed })
            .map_err(|d| commands::reject(&src, &d, json))?;
        let chosen: Vec<&checker::Derivation> = match func {
            Some(name) => {
                let (id, _) = find(&prog, name, &src)?;
                checked.derivations.get(id.0 as usize).into_iter().collect()
            }
            None => checked.derivations.iter().collect(),
        };
        match format {
            Proof::Text => {
                for d in chosen {
                    out!("{}\n", checker::present::text(d));
                }
            }
            Proof::Latex => out!("{}", checker::present::latex_document(&chosen)),
            Proof::Json => outln!(
                "{}",
                serde_json::to_string(&chosen).unwrap_or_else(|_| "[]".into())
            ),
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

pub fn export_jax(path: &str) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = commands::load(&src, Format::Text)?;
        let module = rewrite::export_jax(&prog, PrimTable::standard(), &src.name)
            .map_err(|e| commands::rejected(&src, &e, Format::Text))?;
        out!("{module}");
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}
