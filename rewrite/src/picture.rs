//! SVG of a dataflow [`Graph`], laid out in-process by `layout-rs` (a pure-Rust Sugiyama-style
//! layered layout with a DOT parser and an SVG backend), so no system Graphviz is needed.
//!
//! Why `layout-rs`: it is the one maintained pure-Rust crate that both lays out directed graphs
//! and writes SVG; `graphviz-rust` and `vizoxide` drive a system Graphviz, and `petgraph` or
//! `dot-writer` only print DOT. It has no clusters ("nested graphs"), so each function is laid
//! out alone and framed here, frames side by side, and the edges between functions (residuals,
//! calls) are drawn here over the frames, residual labels stacked in the gaps so they never
//! meet. Within a function, edges keep their colours and a transposed edge has its arrowhead
//! at the use.

use crate::dataflow::{EdgeKind, Graph, NodeKind};
use layout::backends::svg::SVGWriter;
use layout::core::base::Orientation;
use layout::core::color::Color;
use layout::core::geometry::Point;
use layout::core::style::{LineStyleKind, StyleAttr};
use layout::std_shapes::render::get_shape_size;
use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
use layout::topo::layout::VisualGraph;
use std::fmt::Write;

const FONT: usize = 13;

fn colour(hex: &str) -> Color {
    let rgb = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    Color::new((rgb << 8) | 0xff)
}

/// Space between function frames, where residual labels go.
const GAP: f64 = 90.0;
/// Height of a frame's title.
const TITLE: f64 = 24.0;
/// Vertical distance between the lanes of edges between functions.
const LANE: f64 = 18.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A number from `name="…"` in an SVG start tag.
fn attribute(svg: &str, name: &str) -> f64 {
    let key = format!("{name}=\"");
    svg.find(&key)
        .and_then(|i| {
            let rest = &svg[i + key.len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .unwrap_or(0.0)
}

/// layout-rs prints its font classes from a `HashMap`, in a different order each run: sorted,
/// the same program always gives the same picture (the committed pictures are compared).
fn sorted_styles(svg: &str) -> String {
    let (Some(a), Some(b)) = (svg.find("<style>\n"), svg.find("</style>")) else {
        return svg.to_string();
    };
    let start = a + "<style>\n".len();
    if b < start {
        return svg.to_string();
    }
    let mut lines: Vec<&str> = svg[start..b].lines().collect();
    lines.sort_unstable();
    format!("{}{}\n{}", &svg[..start], lines.join("\n"), &svg[b..])
}

/// One function laid out alone: its SVG and where each of its nodes went.
struct Laid {
    svg: String,
    width: f64,
    height: f64,
    /// Per graph node of this cluster: (graph index, top-left, bottom-right).
    boxes: Vec<(usize, Point, Point)>,
}

/// The largest function (nodes, and edge spans in bindings) laid out by layers.
const LAYERED_NODES: usize = 140;
const LAYERED_SPAN: usize = 2500;

impl Graph {
    /// A function in program order: one node per row, each edge an arc to the right of the
    /// column (its bulge grows with its span, so arcs nest instead of crossing labels).
    fn in_order(&self, cluster: usize) -> Laid {
        let (row, h, left) = (34.0, 22.0, 8.0);
        let mut svg = String::new();
        let mut boxes = Vec::new();
        let mut y = 8.0;
        let mut widest = 0.0f64;
        let mut row_of = vec![None; self.nodes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            if n.cluster != cluster {
                continue;
            }
            let label = if n.recomputed {
                format!("↻ {}", n.label)
            } else {
                n.label.clone()
            };
            let w = label.chars().count() as f64 * 7.5 + 20.0;
            widest = widest.max(w);
            let (line, fill) = n.colours();
            let width = if n.kind == NodeKind::Binding { 1 } else { 2 };
            let _ = writeln!(
                svg,
                "<rect x=\"{left}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" rx=\"6\" fill=\"{fill}\" stroke=\"{line}\" stroke-width=\"{width}\"/>\n\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-family=\"Times, serif\" font-size=\"{FONT}\">{}</text>",
                left + w / 2.0,
                y + h / 2.0 + 4.5,
                escape(&label)
            );
            boxes.push((i, Point::new(left, y), Point::new(left + w, y + h)));
            row_of[i] = Some((y + h / 2.0, w));
            y += row;
        }
        let mut furthest = left + widest;
        for e in &self.edges {
            let (Some(Some((ya, wa))), Some(Some((yb, wb)))) =
                (row_of.get(e.from), row_of.get(e.to))
            else {
                continue;
            };
            let bulge = left + widest + 12.0 + ((ya - yb).abs() / row).sqrt() * 14.0;
            furthest = furthest.max(bulge);
            let (marker_start, marker_end) = if e.reversed {
                (" marker-start=\"url(#lina-tail)\"", "")
            } else {
                ("", " marker-end=\"url(#lina-head)\"")
            };
            let _ = writeln!(
                svg,
                "<path d=\"M{} {ya} C{bulge} {ya} {bulge} {yb} {} {yb}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1\"{marker_start}{marker_end}/>",
                left + wa,
                left + wb,
                e.colour()
            );
        }
        let width = furthest + 20.0;
        let height = y + 10.0;
        Laid {
            svg: format!(
                "<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">\n{svg}</svg>"
            ),
            width,
            height,
            boxes,
        }
    }

    fn lay_out(&self, cluster: usize) -> Laid {
        // layout-rs splits every edge into one dummy node per layer it spans, and orders layers
        // by repeated sweeps: fine for pictures people read, superlinear beyond. Past a budget
        // the function is drawn in program order instead (linear, and still overlap-free).
        let members = self.nodes.iter().filter(|n| n.cluster == cluster).count();
        let span: usize = self
            .edges
            .iter()
            .filter(|e| {
                self.nodes.get(e.from).is_some_and(|n| n.cluster == cluster)
                    && self.nodes.get(e.to).is_some_and(|n| n.cluster == cluster)
            })
            .map(|e| e.from.abs_diff(e.to))
            .sum();
        if members > LAYERED_NODES || span > LAYERED_SPAN {
            return self.in_order(cluster);
        }
        let dir = Orientation::TopToBottom;
        let mut vg = VisualGraph::new(dir);
        let mut handles = vec![None; self.nodes.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            if n.cluster != cluster {
                continue;
            }
            let (line, fill) = n.colours();
            let label = if n.recomputed {
                format!("↻ {}", n.label)
            } else {
                n.label.clone()
            };
            let shape = ShapeKind::Box(label);
            let width = match n.kind {
                NodeKind::Params | NodeKind::Result | NodeKind::Call => 2,
                NodeKind::Binding => 1,
            };
            let look = StyleAttr::new(colour(line), width, Some(colour(fill)), 6, FONT);
            let size = get_shape_size(dir.flip(), &shape, FONT, false);
            handles[i] = Some(vg.add_node(Element::create(shape, look, dir.flip(), size)));
        }
        for e in &self.edges {
            let (Some(Some(from)), Some(Some(to))) = (handles.get(e.from), handles.get(e.to))
            else {
                continue;
            };
            let look = StyleAttr::new(colour(e.colour()), 1, None, 0, FONT - 2);
            let arrow = |start, end| {
                Arrow::new(
                    start,
                    end,
                    LineStyleKind::Normal,
                    &e.label,
                    &look,
                    &None,
                    &None,
                )
            };
            if e.reversed {
                // Laid out use → definition (as the forward function is), with the arrowhead
                // at the use: the cotangent flows against the forward layout.
                vg.add_edge(arrow(LineEndKind::Arrow, LineEndKind::None), *to, *from);
            } else {
                vg.add_edge(arrow(LineEndKind::None, LineEndKind::Arrow), *from, *to);
            }
        }
        let mut svg = SVGWriter::new();
        if vg.num_nodes() > 0 {
            vg.do_it(false, false, false, &mut svg);
        }
        let svg = sorted_styles(&svg.finalize());
        let boxes = handles
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                let (a, b) = vg.pos((*h)?).bbox(false);
                Some((i, a, b))
            })
            .collect();
        Laid {
            width: attribute(&svg, "width"),
            height: attribute(&svg, "height"),
            svg,
            boxes,
        }
    }

    /// The picture as a standalone SVG document: each function laid out alone by `layout-rs`
    /// in its own frame, frames side by side in program order, and the edges between
    /// functions (residuals, calls) drawn over them.
    pub fn to_svg(&self) -> String {
        self.compose().0
    }

    /// Where each node's box went in [`Graph::to_svg`]'s picture: `[left, top, right, bottom]`
    /// (`None` for a node not drawn), for checking that no two boxes (and so no two labels) meet.
    pub fn node_boxes(&self) -> Vec<Option<[f64; 4]>> {
        self.compose()
            .1
            .into_iter()
            .map(|b| b.map(|(a, z)| [a.x, a.y, z.x, z.y]))
            .collect()
    }

    fn compose(&self) -> (String, Vec<Option<(Point, Point)>>) {
        // Each edge between functions gets a lane above the frames, so lanes never cross
        // labels: lane k runs at y = LANE·(k+1) and its label sits just above it.
        let cross: Vec<&crate::dataflow::Edge> = self
            .edges
            .iter()
            .filter(|e| match (self.nodes.get(e.from), self.nodes.get(e.to)) {
                (Some(a), Some(b)) => a.cluster != b.cluster,
                _ => false,
            })
            .collect();
        let top = LANE * (cross.len() as f64 + 1.0);
        let mut body = String::new();
        let mut at: Vec<Option<(Point, Point)>> = vec![None; self.nodes.len()];
        let mut frames: Vec<(f64, f64)> = Vec::new(); // (left, right) of each frame
        let (mut x, mut height) = (10.0f64 + GAP / 2.0, 0.0f64);
        for (c, cluster) in self.clusters.iter().enumerate() {
            let laid = self.lay_out(c);
            let (ox, oy) = (x, top + TITLE);
            let title_w = cluster.name.chars().count() as f64 * 8.0 + 20.0;
            let w = laid.width.max(title_w);
            // layout-rs leaves room below for text it never draws: trim to the nodes.
            let bottom = laid.boxes.iter().map(|b| b.2.y).fold(0.0, f64::max);
            let h = laid.height.min(bottom + 30.0);
            let _ = write!(
                body,
                "<rect x=\"{}\" y=\"{top}\" width=\"{}\" height=\"{}\" rx=\"10\" fill=\"none\" stroke=\"#a0aec0\"/>\n\
                 <text x=\"{}\" y=\"{}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"14\" font-weight=\"bold\" fill=\"#4a5568\">{}</text>\n",
                ox - 4.0,
                w + 8.0,
                h + TITLE + 4.0,
                ox + 6.0,
                top + 17.0,
                escape(&cluster.name)
            );
            let inner = laid.svg.trim_start_matches(|ch| ch != '<');
            let inner = inner
                .strip_prefix("<?xml")
                .map_or(inner, |r| r.split_once("?>").map_or(r, |(_, r)| r));
            body.push_str(&inner.replacen(
                "<svg ",
                &format!("<svg x=\"{ox}\" y=\"{oy}\" overflow=\"visible\" "),
                1,
            ));
            body.push('\n');
            for (i, a, b) in laid.boxes {
                at[i] = Some((
                    Point::new(a.x + ox, a.y + oy),
                    Point::new(b.x + ox, b.y + oy),
                ));
            }
            frames.push((ox - 4.0, ox + w + 4.0));
            height = height.max(top + h + TITLE + 14.0);
            x += w + GAP;
        }
        for (k, e) in cross.iter().enumerate() {
            let (Some(from), Some((a0, a1)), Some((b0, b1))) =
                (self.nodes.get(e.from), at[e.from], at[e.to])
            else {
                continue;
            };
            let lane = LANE * (k as f64 + 1.0);
            let leftward = b0.x < a0.x;
            let frame = frames.get(from.cluster).copied().unwrap_or((a0.x, a1.x));
            let step = 7.0 * k as f64 + 10.0;
            let (sx, gx) = if leftward {
                (a0.x, frame.0 - step.min(GAP / 2.0 - 4.0))
            } else {
                (a1.x, frame.1 + step.min(GAP / 2.0 - 4.0))
            };
            let sy = (a0.y + a1.y) / 2.0;
            let ex =
                ((b0.x + b1.x) / 2.0 + 6.0 * (k as f64 % 5.0) - 12.0).clamp(b0.x + 4.0, b1.x - 4.0);
            let (stroke, width, dash) = match e.kind {
                EdgeKind::Residual => (colours_residual(), 2.0, ""),
                _ => (e.colour(), 1.2, " stroke-dasharray=\"4,3\""),
            };
            let _ = writeln!(
                body,
                "<path d=\"M{sx} {sy} L{gx} {sy} L{gx} {lane} L{ex} {lane} L{ex} {}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width}\"{dash} marker-end=\"url(#lina-head)\"/>",
                b0.y
            );
            if !e.label.is_empty() {
                let _ = writeln!(
                    body,
                    "<text x=\"{}\" y=\"{}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" fill=\"{stroke}\">{}</text>",
                    gx.min(ex) + 4.0,
                    lane - 4.0,
                    escape(&e.label)
                );
            }
        }
        let width = x - GAP / 2.0 + 10.0;
        let svg = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
             <svg width=\"{width}\" height=\"{h}\" viewBox=\"0 0 {width} {h}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
             <defs><marker id=\"lina-head\" markerWidth=\"10\" markerHeight=\"7\" refX=\"10\" refY=\"3.5\" orient=\"auto\" markerUnits=\"userSpaceOnUse\">\
             <polygon points=\"0 0, 10 3.5, 0 7\" fill=\"context-stroke\"/></marker>\
             <marker id=\"lina-tail\" markerWidth=\"10\" markerHeight=\"7\" refX=\"0\" refY=\"3.5\" orient=\"auto\" markerUnits=\"userSpaceOnUse\">\
             <polygon points=\"10 0, 10 7, 0 3.5\" fill=\"context-stroke\"/></marker></defs>\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n",
            h = height + 10.0
        );
        (svg, at)
    }
}

fn colours_residual() -> &'static str {
    crate::dataflow::colours::RESIDUAL
}
