//! The commands: read the input, call the library, print the outcome. Rendering of
//! diagnostics happens here, at the edge, and nowhere else.

use crate::Format;

/// Writes to standard output. A closed pipe (`lina fmt f.la | head`) is a quiet success; any
/// other write error is remembered and turns the exit status into 2 (see [`finish`]).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        $crate::commands::wrote(write!(std::io::stdout().lock(), $($t)*), "standard output");
    }};
}

macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        $crate::commands::wrote(writeln!(std::io::stdout().lock(), $($t)*), "standard output");
    }};
}

/// Writes to standard error, as [`out!`] does to standard output (`eprint!` panics when
/// standard error cannot be written).
macro_rules! errout {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        $crate::commands::wrote(write!(std::io::stderr().lock(), $($t)*), "standard error");
    }};
}

/// The first write error that was not a closed pipe.
static WRITE_ERROR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Records the outcome of a write (used by the output macros).
pub fn wrote(result: std::io::Result<()>, stream: &str) {
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::BrokenPipe
        && let Ok(mut first) = WRITE_ERROR.lock()
    {
        first.get_or_insert_with(|| format!("cannot write to {stream}: {e}"));
    }
}

/// The exit status after a command: its own, unless its output could not be written (status 2,
/// with a message on standard error if that can still be written).
pub fn finish(status: Status) -> Status {
    use std::io::Write as _;
    wrote(std::io::stdout().lock().flush(), "standard output");
    let failed = WRITE_ERROR.lock().ok().and_then(|mut e| e.take());
    match failed {
        Some(message) => {
            let _ = writeln!(std::io::stderr().lock(), "lina: {message}");
            Status::Usage
        }
        None => status,
    }
}

use semantics::{Diagnostic, FnDef, FuncId, PrimTable, Program, Type, Value};
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
    // Read at most one byte past the limit, so a huge file is refused without reading it all.
    let limit = semantics::MAX_SOURCE_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    let (name, read) = if path == "-" {
        let r = std::io::stdin().lock().take(limit).read_to_end(&mut bytes);
        ("<stdin>".to_string(), r)
    } else {
        let r = std::fs::File::open(path).and_then(|f| {
            // `take` hides the file's size from `read_to_end`: reserve it, or a 40 MB source
            // is read through a dozen doublings.
            let size = f.metadata().map_or(0, |m| m.len());
            if size >= limit {
                // Refused from its size alone: nothing is read.
                return Err(std::io::ErrorKind::FileTooLarge.into());
            }
            bytes.reserve_exact(usize::try_from(size).unwrap_or(0));
            f.take(limit).read_to_end(&mut bytes)
        });
        (path.to_string(), r)
    };
    let too_large = || {
        usage(&format!(
            "`{path}` is larger than {} bytes, the largest source lina reads",
            semantics::MAX_SOURCE_BYTES
        ))
    };
    match read {
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => return Err(too_large()),
        r => r.map_err(|e| usage(&format!("cannot read `{path}`: {e}")))?,
    };
    if bytes.len() > semantics::MAX_SOURCE_BYTES {
        return Err(too_large());
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| usage(&format!("cannot read `{path}`: not UTF-8 ({e})")))?;
    Ok(Source { name, text })
}

/// Hands a command's program to the operating system instead of freeing it: the process
/// exits right after, and freeing a million bindings one by one was a tenth of `lina check`.
pub fn leak<T>(value: T) {
    std::mem::forget(value);
}

pub fn usage(message: &str) -> Status {
    errout!("lina: {message}\n");
    Status::Usage
}

/// Reports diagnostics for a rejected program: rendered on stderr, or as JSON on stdout.
pub fn reject(src: &Source, diags: &[Diagnostic], format: Format) -> Status {
    match format {
        Format::Text => errout!("{}", semantics::render(diags, &src.name, &src.text)),
        Format::Json => {
            let out = serde_json::json!({"ok": false, "diagnostics": semantics::diagnostics_json(diags, &src.text)});
            outln!("{out}");
        }
    }
    Status::Rejected
}

pub fn load(src: &Source, format: Format) -> Result<Program, Status> {
    semantics::parse(&src.text).map_err(|diags| reject(src, &diags, format))
}

/// Parses into the flat form ([`semantics::FlatProgram`]), for the commands that need no
/// public syntax tree.
pub fn load_flat(src: &Source, format: Format) -> Result<semantics::FlatProgram, Status> {
    semantics::parse_flat(&src.text).map_err(|diags| reject(src, &diags, format))
}

/// Parses and type-checks (relaxed): what `eval`, `grad` and `cost` require first.
/// (Checked on the flat form, then converted once.)
pub fn load_checked(src: &Source, format: Format) -> Result<Program, Status> {
    Ok(load_checked_flat(src, format)?.to_program())
}

/// [`load_checked`] without the public syntax: what `lina eval` runs on.
pub fn load_checked_flat(src: &Source, format: Format) -> Result<semantics::FlatProgram, Status> {
    let flat = load_flat(src, format)?;
    checker::accepts_flat(
        &flat,
        PrimTable::standard(),
        checker::Options { relaxed: true },
    )
    .map_err(|diags| reject(src, &diags, format))?;
    Ok(flat)
}

pub fn rejected(src: &Source, e: &rewrite::RewriteError, format: Format) -> Status {
    match e {
        rewrite::RewriteError::BadPolicy { .. } => usage(&e.to_string()),
        _ => reject(src, &e.to_diagnostics(), format),
    }
}

pub fn policy(text: &str) -> Result<rewrite::Policy, Status> {
    rewrite::Policy::parse(text).map_err(|e| usage(&e.to_string()))
}

pub fn find<'p>(
    prog: &'p Program,
    func: &str,
    src: &Source,
) -> Result<(FuncId, &'p FnDef), Status> {
    let id = prog
        .func_named(func)
        .ok_or_else(|| usage(&format!("no function `{func}` in {}", src.name)))?;
    Ok((id, &prog.funcs[id.0 as usize]))
}

/// The most work `eval`, `grad` and `cost` run without `--max-work` (about a minute of
/// evaluation on this machine). Linear A has no data-dependent control flow, so the work is
/// known before running: a program over the limit is refused, not run until killed.
pub const DEFAULT_MAX_WORK: u128 = 1_000_000_000;

/// Refuses to run `f` when its static work exceeds `limit` (E0410) or `u128` (E0421).
pub fn within_work(
    prog: &Program,
    id: FuncId,
    limit: u128,
    src: &Source,
    format: Format,
) -> Result<(), Status> {
    let works = semantics::static_work(prog, PrimTable::standard())
        .map_err(|e| reject(src, &[e.to_diagnostic()], format))?;
    within_work_of(&works, prog, id, limit, src, format)
}

/// [`within_work`] with the program's static work already computed (one analysis of the whole
/// program serves every function checked).
pub fn within_work_of(
    works: &[u128],
    prog: &Program,
    id: FuncId,
    limit: u128,
    src: &Source,
    format: Format,
) -> Result<(), Status> {
    let f = &prog.funcs[id.0 as usize];
    within_work_named(works, id, (&f.name, f.name_span), limit, src, format)
}

/// [`within_work_of`] for the function `id` named `name` (spelled at `name_span`), of either
/// spelling of a program.
fn within_work_named(
    works: &[u128],
    id: FuncId,
    (name, name_span): (&str, semantics::Span),
    limit: u128,
    src: &Source,
    format: Format,
) -> Result<(), Status> {
    let w = works.get(id.0 as usize).copied().unwrap_or(0);
    if w > limit {
        let d = Diagnostic::error(
            "E0410",
            format!("`{name}` does {w} units of work, more than the limit {limit}"),
        )
        .with_primary(name_span, "this function")
        .with_note("raise the limit with --max-work N");
        return Err(reject(src, &[d], format));
    }
    Ok(())
}

pub fn check(path: &str, relaxed: bool, linear_b: bool, format: Format) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let flat = load_flat(&src, format)?;
        let opts = checker::Options { relaxed };
        let mut diags = match checker::accepts_flat(&flat, PrimTable::standard(), opts) {
            Ok(_) => Vec::new(),
            Err(d) => d,
        };
        if linear_b && diags.is_empty() {
            // Linear B membership reads the public syntax.
            let prog = flat.to_program();
            diags = checker::linear_b_diagnostics(&prog);
            leak(prog);
        }
        if !diags.is_empty() {
            return Err(reject(&src, &diags, format));
        }
        match format {
            Format::Text => outln!("ok: {} functions", flat.funcs.len()),
            Format::Json => outln!("{}", serde_json::json!({"ok": true, "diagnostics": []})),
        }
        leak(flat);
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// A program-to-program command.
pub enum Pass {
    Elaborate,
    Jvp,
    Unzip(String),
    Transpose,
    Vjp(String),
}

pub fn transform(path: &str, pass: Pass) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load(&src, Format::Text)?;
        let prims = PrimTable::standard();
        let fail = |e: rewrite::RewriteError| rejected(&src, &e, Format::Text);
        // The input is left to the OS once a pass has read it, and the output once printed
        // (freeing a million-binding program only costs time at exit); `vjp` hands its input
        // over, to be freed as soon as the JVP is built, so unzip reuses that memory.
        let (out, header) = match pass {
            Pass::Elaborate => {
                checker::accepts(&prog, prims, checker::Options { relaxed: true })
                    .map_err(|d| reject(&src, &d, Format::Text))?;
                let out =
                    checker::elaborate(&prog, prims).map_err(|d| reject(&src, &d, Format::Text))?;
                leak(prog);
                (out, String::new())
            }
            Pass::Jvp => {
                let out = rewrite::jvp(&prog, prims).map_err(fail)?;
                leak(prog);
                (out, String::new())
            }
            Pass::Unzip(p) => {
                let u = rewrite::unzip(&prog, prims, policy(&p)?).map_err(fail)?;
                leak(prog);
                let header = unzip_report(&u, prims, &p);
                (u.program, header)
            }
            Pass::Transpose => {
                let out = rewrite::transpose(&prog, prims).map_err(fail)?;
                leak(prog);
                (out, String::new())
            }
            Pass::Vjp(p) => {
                let v = rewrite::vjp_output_owned(prog, prims, policy(&p)?, true).map_err(fail)?;
                let header = report_text(&v.reports, &v.unzipped_work, &p);
                (v.program, header)
            }
        };
        out!("{header}{}", semantics::print(&out));
        leak(out);
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// Per split function: residual scalars, work of each half, recomputed work and peak live
/// scalars, as comments (so the output still parses).
fn unzip_report(u: &rewrite::Unzipped, prims: &PrimTable, policy: &str) -> String {
    let works = semantics::static_work_saturating(&u.program, prims).unwrap_or_default();
    report_text(&u.reports, &works, policy)
}

/// [`unzip_report`] from the reports and the unzipped program's static work.
fn report_text(reports: &[rewrite::FnReport], works: &[u128], policy: &str) -> String {
    let w = |id: FuncId| work_text(works.get(id.0 as usize).copied().unwrap_or(0));
    let mut out = format!("# unzip, policy {policy}\n");
    for r in reports.iter().filter(|r| r.split) {
        let (nonlin, lin) = r.outputs;
        let lin = lin.map_or_else(|| "0".to_string(), w);
        out += &format!(
            "# {}: residual scalars {}, W(.nonlin) {}, W(.lin) {}, recomputed {}, peak live scalars {} / {}\n",
            r.name,
            work_text(r.residual_scalars),
            w(nonlin),
            lin,
            work_text(r.recomputed_work),
            r.peak_live.0,
            r.peak_live.1
        );
    }
    out + "\n"
}

/// A saturated figure (`u128::MAX`) is "2^128 or more".
fn work_text(n: u128) -> String {
    if n == u128::MAX {
        ">= 2^128".to_string()
    } else {
        n.to_string()
    }
}

pub fn fmt(path: &str) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        // The parser's flat form, printed through the view: no public syntax is built.
        let prog = load_flat(&src, Format::Text)?;
        out!("{}", semantics::print_flat(&prog));
        leak(prog);
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// Parses `text` as values for the parameters `params` (usage error on a count or shape mismatch).
pub fn arguments(
    text: &str,
    params: &[semantics::Param],
    what: &str,
    f: &FnDef,
) -> Result<Vec<Value>, Status> {
    arguments_named(text, params, what, &f.name, |id| f.name_of(id))
}

/// [`arguments`] for the function `name` whose slots are spelled by `slot`.
fn arguments_named<'f>(
    text: &str,
    params: &[semantics::Param],
    what: &str,
    name: &str,
    slot: impl Fn(semantics::LocalId) -> &'f str,
) -> Result<Vec<Value>, Status> {
    let values = semantics::parse_values(text).map_err(|e| usage(&format!("{what}: {e}")))?;
    if values.len() != params.len() {
        return Err(usage(&format!(
            "`{name}` takes {} {what}, given {}",
            params.len(),
            values.len()
        )));
    }
    for (i, (v, p)) in values.iter().zip(params).enumerate() {
        if !v.has_type(&p.ty) {
            return Err(usage(&format!(
                "{what} #{}: `{}` has type {}, given {v}",
                i + 1,
                slot(p.var),
                p.ty
            )));
        }
    }
    Ok(values)
}

/// The cotangents of `f`'s results: as given (one of each result type), or 1 for a single
/// real result (a usage error otherwise).
pub fn cotangents(text: Option<&str>, f: &FnDef) -> Result<Vec<Value>, Status> {
    match text {
        Some(text) => {
            let cts =
                semantics::parse_values(text).map_err(|e| usage(&format!("cotangent: {e}")))?;
            if cts.len() != f.results.len()
                || cts.iter().zip(&f.results).any(|(v, t)| !v.has_type(t))
            {
                let types: Vec<String> = f.results.iter().map(Type::to_string).collect();
                return Err(usage(&format!(
                    "`{}` has results ({}): give one cotangent of each type",
                    f.name,
                    types.join(", ")
                )));
            }
            Ok(cts)
        }
        None if f.results == [Type::Real] => Ok(vec![Value::Real(1.0)]),
        None => Err(usage(&format!(
            "`{}` does not have a single real result: give --cotangent",
            f.name
        ))),
    }
}

pub fn multi_text(nl: &[Value], lin: &[Value]) -> String {
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

pub struct Limits {
    pub max_work: u128,
}

pub fn eval(
    path: &str,
    func: &str,
    args: &str,
    linear_args: &str,
    limits: Limits,
    format: Format,
) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        // The flat form throughout: the evaluator and static work read it as they read the
        // public syntax (`semantics::CodeView`), so no `Program` is built.
        let prims = PrimTable::standard();
        let prog = load_checked_flat(&src, format)?;
        let id = prog
            .func_named(func)
            .ok_or_else(|| usage(&format!("no function `{func}` in {}", src.name)))?;
        let f = &prog.funcs[id.0 as usize];
        let works = semantics::static_work_flat(&prog, prims)
            .map_err(|e| reject(&src, &[e.to_diagnostic()], format))?;
        within_work_named(
            &works,
            id,
            (&f.name, f.name_span),
            limits.max_work,
            &src,
            format,
        )?;
        let slot = |id| prog.name_of(f, id);
        let nl = arguments_named(args, &f.params, "arguments", &f.name, slot)?;
        let lin = arguments_named(linear_args, &f.lparams, "linear arguments", &f.name, slot)?;
        let out = semantics::eval_flat(&prog, prims, id, &nl, &lin)
            .map_err(|e| reject(&src, &[e.to_diagnostic()], format))?;
        match format {
            Format::Text => {
                outln!("{}", multi_text(&out.nl, &out.lin));
                outln!("work: {}", out.work);
            }
            Format::Json => {
                let json = |vs: &[Value]| vs.iter().map(Value::to_json).collect::<Vec<_>>();
                let out = serde_json::json!({"nonlinear": json(&out.nl), "linear": json(&out.lin), "work": big(out.work)});
                outln!("{out}");
            }
        }
        leak(prog);
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

/// A `u128` as a JSON number (exact, however large: work can exceed 2^64).
pub fn big(n: u128) -> serde_json::Value {
    serde_json::to_value(n).unwrap_or(serde_json::Value::Null)
}

pub fn values_json(vs: &[Value]) -> serde_json::Value {
    serde_json::Value::Array(vs.iter().map(Value::to_json).collect())
}

pub fn list(vs: &[Value]) -> String {
    format!(
        "({})",
        vs.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

pub fn grad(
    path: &str,
    func: &str,
    args: &str,
    cotangent: Option<&str>,
    pol: &str,
    limits: Limits,
    format: Format,
) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load_checked(&src, format)?;
        let prims = PrimTable::standard();
        let policy = policy(pol)?;
        let (id, _) = find(&prog, func, &src)?;
        // Differentiate what `func` calls, not the whole file.
        let (prog, id) = semantics::call_closure(&prog, id);
        let f = &prog.funcs[id.0 as usize];
        within_work(&prog, id, limits.max_work, &src, format)?;
        let x = arguments(args, &f.params, "arguments", f)?;
        let cts = cotangents(cotangent, f)?;
        let eval_err = |e: semantics::EvalError| reject(&src, &[e.to_diagnostic()], format);
        // The source is evaluated first so that the VJP can free it early (`_owned`).
        let orig = semantics::eval_fn(&prog, prims, id, &x, &[]);
        let v = rewrite::vjp_output_owned(prog, prims, policy, false)
            .map_err(|e| rejected(&src, &e, format))?;
        let (nonlin, lin_t) = v
            .halves(id.0 as usize)
            .ok_or_else(|| usage(&format!("`{func}` has no results to differentiate")))?;
        let works = semantics::static_work(&v.program, prims)
            .map_err(|e| reject(&src, &[e.to_diagnostic()], format))?;
        within_work_of(&works, &v.program, nonlin, limits.max_work, &src, format)?;
        within_work_of(&works, &v.program, lin_t, limits.max_work, &src, format)?;
        let orig = orig.map_err(eval_err)?;
        let fwd = semantics::eval_fn(&v.program, prims, nonlin, &x, &[]).map_err(eval_err)?;
        let mut value = fwd.nl;
        let res = value.pop().ok_or_else(|| usage("no residuals"))?;
        let back = semantics::eval_fn(&v.program, prims, lin_t, &[res], &cts).map_err(eval_err)?;
        let vjp_work = fwd.work + back.work;
        match format {
            Format::Text => {
                outln!("value: {}", list(&value));
                outln!("gradient: {}", list(&back.lin));
                outln!("work: f {}, vjp {}", orig.work, vjp_work);
            }
            Format::Json => outln!(
                "{}",
                serde_json::json!({
                    "value": values_json(&value),
                    "gradient": values_json(&back.lin),
                    "work": {"f": big(orig.work), "vjp": big(vjp_work)},
                })
            ),
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}

pub fn cost(
    path: &str,
    func: &str,
    args: &str,
    pol: &str,
    limits: Limits,
    format: Format,
) -> Status {
    let run = || -> Result<Status, Status> {
        let src = read_source(path)?;
        let prog = load_checked(&src, format)?;
        let prims = PrimTable::standard();
        let policy = policy(pol)?;
        let (id, _) = find(&prog, func, &src)?;
        let (prog, id) = semantics::call_closure(&prog, id);
        let f = &prog.funcs[id.0 as usize];
        within_work(&prog, id, limits.max_work, &src, format)?;
        let x = arguments(args, &f.params, "arguments", f)?;
        let orig = semantics::eval_fn(&prog, prims, id, &x, &[])
            .map_err(|e| reject(&src, &[e.to_diagnostic()], format))?;
        let v = rewrite::vjp(&prog, prims, policy).map_err(|e| rejected(&src, &e, format))?;
        let (nonlin, lin) = v
            .halves(id.0 as usize)
            .ok_or_else(|| usage(&format!("`{func}` has no results to differentiate")))?;
        let work_of = |p: &Program| {
            semantics::static_work(p, prims).map_err(|e| reject(&src, &[e.to_diagnostic()], format))
        };
        let (wj, wu, wt) = (
            work_of(&v.jvp)?,
            work_of(&v.unzipped.program)?,
            work_of(&v.program)?,
        );
        let at = |ws: &[u128], i: FuncId| ws.get(i.0 as usize).copied().unwrap_or(0);
        let size = |p: &Program, i: FuncId| p.funcs.get(i.0 as usize).map_or(0, semantics::fn_size);
        let rows = [
            ("f", orig.work, size(&prog, id)),
            ("jvp", at(&wj, id), size(&v.jvp, id)),
            ("nonlin", at(&wu, nonlin), size(&v.unzipped.program, nonlin)),
            ("lin", at(&wu, lin), size(&v.unzipped.program, lin)),
            ("transpose", at(&wt, lin), size(&v.program, lin)),
            (
                "vjp",
                at(&wu, nonlin) + at(&wt, lin),
                size(&v.program, nonlin) + size(&v.program, lin),
            ),
        ];
        match format {
            Format::Text => {
                outln!("{:<10} {:>12} {:>12}", "", "work", "size");
                for (name, w, s) in rows {
                    outln!("{name:<10} {w:>12} {s:>12}");
                }
                outln!(
                    "W(vjp)/W(f) = {:.2}",
                    rows[5].1 as f64 / rows[0].1.max(1) as f64
                );
            }
            Format::Json => {
                let work: serde_json::Map<_, _> = rows
                    .iter()
                    .map(|(n, w, _)| (n.to_string(), big(*w)))
                    .collect();
                let size: serde_json::Map<_, _> = rows
                    .iter()
                    .map(|(n, _, s)| (n.to_string(), big(*s)))
                    .collect();
                outln!("{}", serde_json::json!({"work": work, "size": size}));
            }
        }
        Ok(Status::Ok)
    };
    run().unwrap_or_else(|s| s)
}
