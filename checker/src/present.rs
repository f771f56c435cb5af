//! Derivations for people: a plain-text tree and a LaTeX `bussproofs` proof tree.
//!
//! Both show each node's rule name and its judgment `Γ ; Δ ⊢ subject : (τs ; σs)`, Δ being the
//! linear variables the subject consumes (Γ, shared by every premise, is left as `Γ`, as the
//! derivation data leaves it out). The text tree is the data as it is: a block is one node
//! whose children are its bindings. The LaTeX tree reads like the paper's rules instead: a
//! block `let b1 in ... let bn in e` is a chain of `T-Let`s with two premises each, the
//! right-hand side and the rest of the block, whose Δ is what the rest consumes.
//!
//! Both are built with explicit stacks, never by recursion, so a block of a million bindings
//! renders (bussproofs itself is postfix, which suits a stack: premises, then the inference).

use crate::derivation::{Derivation, Judgment, TypeExpr, subject_text};
use crate::rules::Rule;
use std::fmt::Write;

/// How many linear variables of Δ are shown before `…` (a long block's Δ is long).
const DELTA_MAX: usize = 8;

fn types(ts: &[TypeExpr]) -> String {
    ts.iter()
        .map(TypeExpr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn result(j: &Judgment) -> String {
    match (j.nonlinear.is_empty(), j.linear.is_empty()) {
        (_, true) => format!("({})", types(&j.nonlinear)),
        (true, false) => format!("(; {})", types(&j.linear)),
        (false, false) => format!("({} ; {})", types(&j.nonlinear), types(&j.linear)),
    }
}

fn delta(names: &[String], total: usize) -> String {
    if total == 0 {
        return "·".into();
    }
    let mut s = names
        .iter()
        .take(DELTA_MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if total > DELTA_MAX {
        let _ = write!(s, ", … (+{})", total - DELTA_MAX);
    }
    s
}

/// `Γ ; Δ ⊢ subject : (τs ; σs)` of a node, on one line.
pub fn judgment_line(d: &Derivation) -> String {
    let j = &d.conclusion;
    format!(
        "Γ ; {} ⊢ {} : {}",
        delta(&j.consumed, j.consumed.len()),
        subject_text(d),
        result(j)
    )
}

/// The derivation as an indented tree, one node per line: `rule  Γ ; Δ ⊢ subject : type`.
pub fn text(d: &Derivation) -> String {
    let mut out = String::new();
    // (node, prefix of its line, prefix of its children's lines)
    let mut stack: Vec<(&Derivation, String, String)> = vec![(d, String::new(), String::new())];
    while let Some((node, here, below)) = stack.pop() {
        let _ = writeln!(out, "{here}{}  {}", node.rule, judgment_line(node));
        let n = node.children.len();
        for (i, c) in node.children.iter().enumerate().rev() {
            let last = i + 1 == n;
            stack.push((
                c,
                format!("{below}{}", if last { "└─ " } else { "├─ " }),
                format!("{below}{}", if last { "   " } else { "│  " }),
            ));
        }
    }
    out
}

/// Escapes text for LaTeX's text mode (inside `\texttt`).
fn tex(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' | '}' | '$' | '&' | '#' | '_' | '%' => {
                out.push('\\');
                out.push(ch);
            }
            '^' => out.push_str("\\^{}"),
            '~' => out.push_str("\\~{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '\'' => out.push_str("\\textquotesingle{}"),
            '×' => out.push_str("$\\times$"),
            '…' => out.push_str("\\ldots{}"),
            '·' => out.push_str("$\\cdot$"),
            c => out.push(c),
        }
    }
    out
}

fn tex_judgment(delta_names: &[String], total: usize, subject: &str, ty: &str) -> String {
    let d = if total == 0 {
        "\\cdot".to_string()
    } else {
        format!("\\texttt{{{}}}", tex(&delta(delta_names, total)))
    };
    format!(
        "$\\Gamma \\mathbin{{;}} {d} \\vdash \\texttt{{{}}} : \\texttt{{{}}}$",
        tex(subject),
        tex(ty)
    )
}

/// One step of the postfix emission.
enum Step<'a> {
    Visit(&'a Derivation),
    /// An inference: rule, conclusion (LaTeX), number of premises.
    Infer(&'a str, String, usize),
}

const INFER: [&str; 5] = [
    "\\UnaryInfC",
    "\\BinaryInfC",
    "\\TrinaryInfC",
    "\\QuaternaryInfC",
    "\\QuinaryInfC",
];

/// The derivation as one `bussproofs` `prooftree` environment.
pub fn latex(d: &Derivation) -> String {
    let mut out = String::from("\\begin{prooftree}\n");
    let mut stack = vec![Step::Visit(d)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Visit(node) if node.rule == Rule::Block && !node.children.is_empty() => {
                push_block(node, &mut stack);
            }
            Step::Visit(node) => {
                let j = &node.conclusion;
                let concl = tex_judgment(
                    &j.consumed,
                    j.consumed.len(),
                    &subject_text(node),
                    &result(j),
                );
                stack.push(Step::Infer(node.rule.name(), concl, node.children.len()));
                stack.extend(node.children.iter().rev().map(Step::Visit));
            }
            Step::Infer(rule, concl, n) => {
                if n == 0 {
                    out.push_str("\\AxiomC{}\n");
                }
                // bussproofs takes at most five premises: the ones past the fourth are stacked
                // (no line) into one.
                for _ in 5..n.max(5) {
                    out.push_str("\\noLine\\BinaryInfC{}\n");
                }
                let k = n.clamp(1, 5);
                let _ = writeln!(
                    out,
                    "\\RightLabel{{\\scriptsize\\textsc{{{}}}}}\n{}{{{concl}}}",
                    tex(rule),
                    INFER[k - 1]
                );
            }
        }
    }
    out.push_str("\\end{prooftree}\n");
    out
}

/// A block `b0 ... b(n-1) ; tail` as the chain `T-Let(premises of b0, T-Let(..., tail))`:
/// the inferences go on the stack first (outermost deepest), then the premises in reverse,
/// so they pop as the postfix order: b0's premises, ..., the tail, then the inferences inward out.
fn push_block<'a>(block: &'a Derivation, stack: &mut Vec<Step<'a>>) {
    let n = block.children.len();
    let (binds, tail) = block.children.split_at(n - 1);
    let ty = result(&block.conclusion);
    // Δ of the rest of the block from binding k on: built back to front.
    let mut rest: Vec<String> = Vec::new();
    let mut total = 0usize;
    let mut deltas = vec![(Vec::new(), 0usize); binds.len()];
    let tail_names = &tail[0].conclusion.consumed;
    rest.extend(tail_names.iter().rev().cloned());
    total += tail_names.len();
    for (k, b) in binds.iter().enumerate().rev() {
        let names = &b.conclusion.consumed;
        // `rest` holds names last-first; the shown prefix is the first DELTA_MAX in use order.
        rest.extend(names.iter().rev().cloned());
        total += names.len();
        let shown: Vec<String> = rest.iter().rev().take(DELTA_MAX).cloned().collect();
        deltas[k] = (shown, total);
    }
    for (k, b) in binds.iter().enumerate() {
        let rhs = b.children.first().map(subject_text).unwrap_or_default();
        let subject = if b.rule == Rule::Let {
            format!("{} {rhs} in …", subject_text(b))
        } else {
            format!("{} in …", subject_text(b))
        };
        let (shown, total) = &deltas[k];
        let concl = tex_judgment(shown, *total, &subject, &ty);
        stack.push(Step::Infer(b.rule.name(), concl, b.children.len() + 1));
    }
    stack.push(Step::Visit(&tail[0]));
    for b in binds.iter().rev() {
        stack.extend(b.children.iter().rev().map(Step::Visit));
    }
}

/// A standalone LaTeX document with one proof tree per derivation (compiles with `pdflatex`).
pub fn latex_document(ds: &[&Derivation]) -> String {
    let mut out = String::from(
        "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage[a3paper,landscape,margin=1cm]{geometry}\n\\usepackage{bussproofs}\n\\EnableBpAbbreviations\n\\begin{document}\n\\scriptsize\n",
    );
    for d in ds {
        let _ = writeln!(out, "\\noindent\\texttt{{{}}}\n", tex(&subject_text(d)));
        out.push_str(&latex(d));
        out.push('\n');
    }
    out.push_str("\\end{document}\n");
    out
}
