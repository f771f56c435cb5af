//! Dataflow pictures of a program at a stage of reverse mode, and their DOT text.
//!
//! A [`Graph`] has one cluster per function and, in each, one node per top-level binding, a
//! node for the nonlinear parameters, one for the linear parameters and one for the result.
//! An edge joins the binding that defines a variable to each binding that reads it; its
//! [`EdgeKind`] says what it carries:
//! - nonlinear and linear values (two colours; nodes are coloured by the sort they bind);
//! - **residuals**: after unzip, the values `.nonlin` saves for `.lin` (or `.lin.T`), drawn
//!   from the binding that computes them across to the residual parameter of the linear half;
//! - calls: from a call's node to the callee's cluster, when the callee is in the picture.
//!
//! Bindings that unzip copied into a linear half (checkpointing by recomputation) are
//! **recomputed** nodes. In a transposed function (`.T`) every linear edge is **reversed**:
//! it is drawn from the use to the definition, so the picture of `g.T` is the picture of `g`
//! with its linear arrows turned around (the cotangent parameters at the bottom, the
//! parameters' cotangents at the top). A nested block (a `drop(e)` or a block right-hand side)
//! is one node: bodies are flat, and so is the picture.
//!
//! Building is one sweep over each function's bindings; the picture is linear in the program.

use crate::error::RewriteError;
use crate::{Policy, jvp, transpose, unzip};
use semantics::*;
use std::collections::HashMap;
use std::fmt::Write;

/// The stage of reverse mode to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The program as written.
    Source,
    Jvp,
    Unzip,
    Transpose,
    Vjp,
}

impl Stage {
    pub fn parse(s: &str) -> Option<Stage> {
        Some(match s {
            "none" => Stage::Source,
            "jvp" => Stage::Jvp,
            "unzip" => Stage::Unzip,
            "transpose" => Stage::Transpose,
            "vjp" => Stage::Vjp,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Nonlinear,
    Linear,
    /// A call or return with results of both sorts.
    Mixed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// The function's nonlinear (or linear) parameters.
    Params,
    Binding,
    Call,
    Result,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub cluster: usize,
    pub label: String,
    pub sort: Sort,
    pub kind: NodeKind,
    /// A nonlinear binding that unzip copied into a linear half.
    pub recomputed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    Nonlinear,
    Linear,
    /// Values saved by `.nonlin` for the linear half.
    Residual,
    /// A call of a function in the picture.
    Call,
}

#[derive(Clone, Debug)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    /// Drawn from `to` back to `from` (a transposed function's linear edges).
    pub reversed: bool,
    pub label: String,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: String,
}

#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub clusters: Vec<Cluster>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// Longest node label, in characters, before it is cut with `…` (pictures stay legible).
const LABEL_MAX: usize = 44;

/// The picture of `prog` at `stage`. For a nonlinear program, `unzip` means unzip of the
/// JVP and `transpose` the VJP (the stages of reverse mode); a program with linear parts gets
/// the one pass named. With `func`, only the functions it became (`f`, `f.jvp`, `f.jvp.nonlin`,
/// ...) and those they call are drawn.
pub fn dataflow(
    prog: &Program,
    prims: &PrimTable,
    stage: Stage,
    policy: Policy,
    func: Option<&str>,
) -> Result<Graph, RewriteError> {
    checker::accepts(prog, prims, checker::Options { relaxed: true })
        .map_err(RewriteError::IllTyped)?;
    let nonlinear = prog.funcs.iter().all(|f| {
        f.lparams.is_empty() && f.lresults.is_empty() && !f.locals.iter().any(|l| l.linear)
    });
    let mut halves = Vec::new();
    let out = match stage {
        Stage::Source => prog.clone(),
        Stage::Jvp => jvp(prog, prims)?,
        Stage::Transpose if !nonlinear => transpose(prog, prims)?,
        Stage::Unzip | Stage::Transpose | Stage::Vjp => {
            let input = if nonlinear || stage == Stage::Vjp {
                jvp(prog, prims)?
            } else {
                prog.clone()
            };
            let u = unzip(&input, prims, policy)?;
            halves = u
                .reports
                .iter()
                .filter(|r| r.split)
                .filter_map(|r| Some((r.outputs.0, r.outputs.1?)))
                .collect();
            if stage == Stage::Unzip {
                u.program
            } else {
                transpose(&u.program, prims)?
            }
        }
    };
    let selected = select(&out, func);
    Ok(build(&out, prims, &selected, &halves))
}

/// The functions `func` became and, transitively, their callees; all without `func`.
fn select(prog: &Program, func: Option<&str>) -> Vec<bool> {
    let n = prog.funcs.len();
    let Some(name) = func else {
        return vec![true; n];
    };
    let prefix = format!("{name}.");
    let mut keep: Vec<bool> = prog
        .funcs
        .iter()
        .map(|f| f.name == name || f.name.starts_with(&prefix))
        .collect();
    // Callees come before callers: one backward sweep closes the set.
    for i in (0..n).rev() {
        if keep[i] {
            each_expr(&prog.funcs[i].body, &mut |e| {
                if let Expr::Call { func, .. } = e
                    && let Some(k) = keep.get_mut(func.0 as usize)
                {
                    *k = true;
                }
            });
        }
    }
    keep
}

fn cut(s: String) -> String {
    if s.chars().count() <= LABEL_MAX {
        return s;
    }
    let mut t: String = s.chars().take(LABEL_MAX - 1).collect();
    t.push('…');
    t
}

fn sort_of(nl: usize, lin: usize) -> Sort {
    match (nl, lin) {
        (_, 0) => Sort::Nonlinear,
        (0, _) => Sort::Linear,
        _ => Sort::Mixed,
    }
}

/// A drawn function: the node defining each slot.
struct Drawn {
    def: Vec<Option<usize>>,
}

struct Builder<'a> {
    g: Graph,
    prog: &'a Program,
    prims: &'a PrimTable,
    /// The parameter node of each drawn function (its nonlinear one, else its linear one).
    entry: HashMap<FuncId, usize>,
    calls: Vec<(usize, FuncId)>,
}

fn build(
    prog: &Program,
    prims: &PrimTable,
    selected: &[bool],
    halves: &[(FuncId, FuncId)],
) -> Graph {
    let mut b = Builder {
        g: Graph::default(),
        prog,
        prims,
        entry: HashMap::new(),
        calls: Vec::new(),
    };
    let lin_halves: Vec<FuncId> = halves.iter().map(|h| h.1).collect();
    // Per drawn function: the node defining each slot.
    let mut defs: HashMap<FuncId, Drawn> = HashMap::new();
    for (i, f) in prog.funcs.iter().enumerate() {
        if selected.get(i).copied().unwrap_or(false) {
            let id = FuncId(i as u32);
            defs.insert(id, b.function(id, f, lin_halves.contains(&id)));
        }
    }
    for (node, callee) in std::mem::take(&mut b.calls) {
        if let Some(&to) = b.entry.get(&callee) {
            b.g.edges.push(Edge {
                from: node,
                to,
                kind: EdgeKind::Call,
                reversed: false,
                label: "calls".into(),
            });
        }
    }
    for &(nonlin, lin) in halves {
        if let (Some(dn), Some(dl)) = (defs.get(&nonlin), defs.get(&lin)) {
            b.residuals(nonlin, lin, dn, dl);
        }
    }
    b.g
}

impl Builder<'_> {
    fn node(&mut self, cluster: usize, label: String, sort: Sort, kind: NodeKind) -> usize {
        self.g.nodes.push(Node {
            cluster,
            label: cut(label),
            sort,
            kind,
            recomputed: false,
        });
        self.g.nodes.len() - 1
    }

    fn params_label(f: &FnDef, ps: &[Param]) -> String {
        ps.iter()
            .map(|p| format!("{}: {}", f.name_of(p.var), p.ty))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Draws one function.
    fn function(&mut self, id: FuncId, f: &FnDef, lin_half: bool) -> Drawn {
        let c = self.g.clusters.len();
        self.g.clusters.push(Cluster {
            name: f.name.clone(),
        });
        let transposed = f.name.ends_with(".T");
        let mut def: Vec<Option<usize>> = vec![None; f.locals.len()];
        let mut residual = vec![false; f.locals.len()];
        let set = |def: &mut Vec<Option<usize>>, x: LocalId, n: usize| {
            if let Some(d) = def.get_mut(x.0 as usize) {
                *d = Some(n);
            }
        };
        if !f.params.is_empty() || f.lparams.is_empty() {
            let n = self.node(
                c,
                format!("{}({})", f.name, Self::params_label(f, &f.params)),
                Sort::Nonlinear,
                NodeKind::Params,
            );
            self.entry.insert(id, n);
            for p in &f.params {
                set(&mut def, p.var, n);
                if let Some(r) = residual.get_mut(p.var.0 as usize) {
                    *r = true;
                }
            }
        }
        if !f.lparams.is_empty() {
            let n = self.node(
                c,
                format!("; {}", Self::params_label(f, &f.lparams)),
                Sort::Linear,
                NodeKind::Params,
            );
            self.entry.entry(id).or_insert(n);
            for p in &f.lparams {
                set(&mut def, p.var, n);
            }
        }
        let mut reads = Vec::new();
        let line = |e: &Expr| expr_line(f, &self.prog.funcs, self.prims, e);
        for s in &f.body.binds {
            let (binders, label, kind, from_residual) = match s {
                Bind::Let { nl, lin, rhs, .. } => {
                    let names: Vec<&str> = nl.iter().chain(lin).map(|&x| f.name_of(x)).collect();
                    let lhs = match names.len() {
                        0 => "()".to_string(),
                        1 => names[0].to_string(),
                        _ => format!("({})", names.join(", ")),
                    };
                    let kind = if let Expr::Call { func, .. } = rhs {
                        self.calls.push((self.g.nodes.len(), *func));
                        NodeKind::Call
                    } else {
                        NodeKind::Binding
                    };
                    let sort = sort_of(nl.len(), lin.len());
                    // `let () = drop(e)`: the sort of what it discards.
                    let sort = if nl.is_empty() && lin.is_empty() {
                        let mut rs = Vec::new();
                        bind_reads(s, &mut rs);
                        if rs.iter().any(|&x| f.is_linear(x)) {
                            Sort::Linear
                        } else {
                            Sort::Nonlinear
                        }
                    } else {
                        sort
                    };
                    (
                        (nl.clone(), lin.clone(), sort),
                        format!("{lhs} = {}", line(rhs)),
                        kind,
                        false,
                    )
                }
                Bind::Unpack { binders, src, .. } => {
                    let names: Vec<&str> = binders.iter().map(|&x| f.name_of(x)).collect();
                    let linear = f.is_linear(src.id);
                    let sort = if linear {
                        Sort::Linear
                    } else {
                        Sort::Nonlinear
                    };
                    (
                        (Vec::new(), binders.clone(), sort),
                        format!("<{}> = {}", names.join(", "), f.name_of(src.id)),
                        NodeKind::Binding,
                        residual.get(src.id.0 as usize).copied().unwrap_or(false),
                    )
                }
            };
            let ((nl, lin, sort), label) = (binders, label);
            let n = self.node(c, label, sort, kind);
            // A nonlinear binding in a linear half is recomputation, unless it only takes the
            // residual parameter apart.
            self.g.nodes[n].recomputed = lin_half
                && sort == Sort::Nonlinear
                && !from_residual
                && !(nl.is_empty() && lin.is_empty());
            reads.clear();
            bind_reads(s, &mut reads);
            self.read_edges(f, &def, &reads, n, transposed);
            for &x in nl.iter().chain(&lin) {
                set(&mut def, x, n);
                if from_residual && let Some(r) = residual.get_mut(x.0 as usize) {
                    *r = true;
                }
            }
        }
        let (nl, lin) = match &f.body.tail {
            Expr::Ret { nl, lin, .. } => (nl.len(), lin.len()),
            _ => (f.results.len(), f.lresults.len()),
        };
        let n = self.node(
            c,
            format!("⇒ {}", line(&f.body.tail)),
            sort_of(nl, lin),
            NodeKind::Result,
        );
        reads.clear();
        expr_reads(&f.body.tail, &mut reads);
        self.read_edges(f, &def, &reads, n, transposed);
        Drawn { def }
    }

    fn read_edges(
        &mut self,
        f: &FnDef,
        def: &[Option<usize>],
        reads: &[LocalId],
        to: usize,
        transposed: bool,
    ) {
        for &x in reads {
            let Some(Some(from)) = def.get(x.0 as usize).copied() else {
                continue;
            };
            let linear = f.is_linear(x);
            self.g.edges.push(Edge {
                from,
                to,
                kind: if linear {
                    EdgeKind::Linear
                } else {
                    EdgeKind::Nonlinear
                },
                reversed: transposed && linear,
                label: String::new(),
            });
        }
    }

    /// Residual edges: from each value `.nonlin` puts in its residual tuple to the residual
    /// parameter of the linear half; one edge per source node, labelled with the values.
    fn residuals(&mut self, nonlin: FuncId, lin: FuncId, dn: &Drawn, dl: &Drawn) {
        let (Some(fnl), Some(fl)) = (self.prog.func(nonlin), self.prog.func(lin)) else {
            return;
        };
        let Expr::Ret { nl, .. } = &fnl.body.tail else {
            return;
        };
        let Some(Atom::Var(res)) = nl.last() else {
            return;
        };
        // What the residual tuple holds: the items of the `let res = <...>` that built it.
        let mut items: Vec<LocalId> = vec![res.id];
        for s in &fnl.body.binds {
            if let Bind::Let {
                nl,
                rhs: Expr::Tuple { items: t, .. },
                ..
            } = s
                && nl.as_slice() == [res.id]
            {
                items = t.iter().filter_map(|a| a.var().map(|v| v.id)).collect();
            }
        }
        // Where the linear half takes the residual parameter.
        let Some(rp) = fl.params.first().map(|p| p.var) else {
            return;
        };
        let Some(to) = dl.def.get(rp.0 as usize).copied().flatten() else {
            return;
        };
        let mut by_source: Vec<(usize, Vec<&str>)> = Vec::new();
        for x in items {
            let Some(Some(from)) = dn.def.get(x.0 as usize).copied() else {
                continue;
            };
            match by_source.iter_mut().find(|(n, _)| *n == from) {
                Some((_, names)) => names.push(fnl.name_of(x)),
                None => by_source.push((from, vec![fnl.name_of(x)])),
            }
        }
        for (from, names) in by_source {
            self.g.edges.push(Edge {
                from,
                to,
                kind: EdgeKind::Residual,
                reversed: false,
                label: names.join(", "),
            });
        }
    }
}

/// Colours: nonlinear values blue, linear values orange, residuals red, recomputed yellow.
pub mod colours {
    pub const NONLINEAR: (&str, &str) = ("#2b6cb0", "#dbe9f6");
    pub const LINEAR: (&str, &str) = ("#c05621", "#fde6d2");
    pub const MIXED: (&str, &str) = ("#2f855a", "#e3f4e8");
    pub const RECOMPUTED_FILL: &str = "#fff3b0";
    pub const RESIDUAL: &str = "#c53030";
    pub const CALL: &str = "#718096";
}

impl Node {
    /// (line colour, fill colour).
    pub fn colours(&self) -> (&'static str, &'static str) {
        let (line, fill) = match self.sort {
            Sort::Nonlinear => colours::NONLINEAR,
            Sort::Linear => colours::LINEAR,
            Sort::Mixed => colours::MIXED,
        };
        (
            line,
            if self.recomputed {
                colours::RECOMPUTED_FILL
            } else {
                fill
            },
        )
    }
}

impl Edge {
    pub fn colour(&self) -> &'static str {
        match self.kind {
            EdgeKind::Nonlinear => colours::NONLINEAR.0,
            EdgeKind::Linear => colours::LINEAR.0,
            EdgeKind::Residual => colours::RESIDUAL,
            EdgeKind::Call => colours::CALL,
        }
    }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Graph {
    /// Graphviz DOT text: clusters are `subgraph cluster_i`, reversed edges `dir=back`.
    pub fn to_dot(&self) -> String {
        let mut out = String::from(
            "digraph lina {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=12];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
        );
        let mut by_cluster: Vec<Vec<usize>> = vec![Vec::new(); self.clusters.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            if let Some(v) = by_cluster.get_mut(n.cluster) {
                v.push(i);
            }
        }
        for (c, members) in self.clusters.iter().zip(&by_cluster) {
            let _ = writeln!(
                out,
                "  subgraph cluster_{} {{\n    label={};\n    style=rounded;\n    color=\"#a0aec0\";",
                members.first().copied().unwrap_or(0),
                quote(&c.name)
            );
            for &i in members {
                let n = &self.nodes[i];
                let (line, fill) = n.colours();
                let style = if n.recomputed {
                    "rounded,filled,dashed"
                } else {
                    "rounded,filled"
                };
                let shape = match n.kind {
                    NodeKind::Params | NodeKind::Result => "box",
                    NodeKind::Call => "box3d",
                    NodeKind::Binding => "box",
                };
                let label = if n.recomputed {
                    format!("{} (recomputed)", n.label)
                } else {
                    n.label.clone()
                };
                let _ = writeln!(
                    out,
                    "    n{i} [label={}, shape={shape}, style={}, color={}, fillcolor={}];",
                    quote(&label),
                    quote(style),
                    quote(line),
                    quote(fill)
                );
            }
            out.push_str("  }\n");
        }
        for e in &self.edges {
            let mut attrs = vec![format!("color={}", quote(e.colour()))];
            if !e.label.is_empty() {
                attrs.push(format!("label={}", quote(&e.label)));
            }
            match e.kind {
                EdgeKind::Residual => attrs.push("penwidth=2.5".into()),
                EdgeKind::Call => attrs.push("style=dotted, constraint=false".into()),
                _ => {}
            }
            if e.reversed {
                // Drawn use → definition: the transposed flow, arrows turned around.
                attrs.push("dir=back".into());
                let _ = writeln!(out, "  n{} -> n{} [{}];", e.to, e.from, attrs.join(", "));
            } else {
                let _ = writeln!(out, "  n{} -> n{} [{}];", e.from, e.to, attrs.join(", "));
            }
        }
        out.push_str("}\n");
        out
    }
}
