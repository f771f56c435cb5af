//! Diagnostics: the one data type every phase reports faults in, and the one place that
//! renders them (as text with source context through `codespan-reporting`, or as JSON).
//!
//! A diagnostic has a stable `code` (documented in `docs/errors.md`), a message, the typing
//! rule that failed (for type errors), and labelled spans; the first primary label gives the
//! line and column.

use crate::span::{LineIndex, Span};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub message: String,
    /// The rule that failed, for typing errors (`T-Let`, ...).
    pub rule: Option<&'static str>,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            rule: None,
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn with_rule(mut self, rule: &'static str) -> Diagnostic {
        self.rule = Some(rule);
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// The position the diagnostic is about: its first primary label.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }
}

/// Renders diagnostics as text with source context, as a terminal shows them.
pub fn render(diags: &[Diagnostic], file_name: &str, src: &str) -> String {
    let file = SimpleFile::new(file_name, src);
    let config = term::Config::default();
    let mut out = String::new();
    for d in diags {
        let mut labels = Vec::new();
        for l in &d.labels {
            let range = clamp(l.span, src);
            let label = if l.primary {
                cs::Label::primary((), range)
            } else {
                cs::Label::secondary((), range)
            };
            labels.push(label.with_message(l.message.clone()));
        }
        let mut notes = d.notes.clone();
        if let Some(rule) = d.rule {
            notes.insert(0, format!("rule: {rule}"));
        }
        let diag = cs::Diagnostic::error()
            .with_code(d.code)
            .with_message(d.message.clone())
            .with_labels(labels)
            .with_notes(notes);
        match term::emit_into_string(&config, &file, &diag) {
            Ok(s) => out.push_str(&s),
            // Rendering cannot fail on clamped spans; should it ever, the message still shows.
            Err(_) => out.push_str(&format!("error[{}]: {}\n", d.code, d.message)),
        }
    }
    out
}

/// Keeps a span inside the source and on character boundaries.
fn clamp(span: Span, src: &str) -> std::ops::Range<usize> {
    let mut start = (span.start as usize).min(src.len());
    let mut end = (span.end as usize).clamp(start, src.len());
    while !src.is_char_boundary(start) {
        start -= 1;
    }
    while !src.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// The JSON form of SPEC §8: `[{"code", "message", "rule", "line", "column"}]`.
pub fn to_json(diags: &[Diagnostic], src: &str) -> serde_json::Value {
    let index = LineIndex::new(src);
    let items = diags
        .iter()
        .map(|d| {
            let (line, column) = d
                .primary_span()
                .map_or((0, 0), |s| index.line_col(s.start as usize));
            serde_json::json!({
                "code": d.code,
                "message": d.message,
                "rule": d.rule,
                "line": line,
                "column": column,
            })
        })
        .collect();
    serde_json::Value::Array(items)
}
