//! HTML building blocks: escaping, the page layout (skip link, navigation, sign-out form),
//! tables, forms and the small inline sparkline. Pages are rendered on the server as plain
//! HTML with one stylesheet served from memory; there is no script at all, so the content
//! security policy can forbid every script, and the pages work offline, by keyboard and
//! with a screen reader (labelled controls, table captions and header scopes, a text
//! alternative for every chart).

use std::fmt::Write;

use csa_report::table::{Cell, Table};

use crate::access::Principal;

/// The stylesheet (compiled in; served at `/static/csa.css`).
pub const CSS: &str = include_str!("../assets/csa.css");

/// Text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A query string from pairs (percent-encoded), for links.
pub fn query(pairs: &[(&str, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// `path?query`, escaped for an attribute.
pub fn href(path: &str, pairs: &[(&str, String)]) -> String {
    let q = query(pairs);
    if q.is_empty() {
        esc(path)
    } else {
        esc(&format!("{path}?{q}"))
    }
}

/// The navigation entry that is the current page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Home,
    Priority,
    Quarterly,
    Users,
    Audit,
    None,
}

/// A whole page: head, header with navigation (when signed in), the main content, footer.
pub fn page(title: &str, who: Option<&Principal>, nav: Nav, footer: &str, main: &str) -> String {
    let mut h = String::with_capacity(main.len() + 2048);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} - csa</title>\n<link rel=\"stylesheet\" href=\"/static/csa.css\">\n</head>\n<body>\n\
         <a class=\"skip\" href=\"#main\">Skip to the content</a>\n<header>\n<p class=\"brand\"><a href=\"/\">csa</a> \
         <span>community safety workspace</span></p>\n",
        esc(title)
    );
    if let Some(p) = who {
        let link = |h: &mut String, n: Nav, path: &str, label: &str| {
            let cur = if n == nav { " aria-current=\"page\"" } else { "" };
            let _ = write!(h, "<li><a href=\"{path}\"{cur}>{label}</a></li>");
        };
        h.push_str("<nav aria-label=\"Main\"><ul>");
        link(&mut h, Nav::Home, "/", "My priorities");
        link(&mut h, Nav::Quarterly, "/quarterly", "Quarterly performance");
        if p.is_admin() {
            link(&mut h, Nav::Users, "/admin/users", "Users");
            link(&mut h, Nav::Audit, "/admin/audit", "Audit log");
        }
        h.push_str("</ul></nav>\n");
        let _ = writeln!(
            h,
            "<form class=\"signout\" method=\"post\" action=\"/logout\"><p>Signed in as <strong>{}</strong> ({}{}) \
             <input type=\"hidden\" name=\"csrf\" value=\"{}\"><button type=\"submit\">Sign out</button></p></form>",
            esc(&p.name),
            p.role.name(),
            if p.exact() { "" } else { ": published figures, small numbers suppressed" },
            esc(&p.csrf)
        );
    }
    let _ = write!(
        h,
        "</header>\n<main id=\"main\" tabindex=\"-1\">\n{main}\n</main>\n<footer><p>{}</p></footer>\n</body>\n</html>\n",
        footer
    );
    h
}

/// An error message box.
pub fn error_box(msg: &str) -> String {
    format!("<div class=\"error\" role=\"alert\"><p>{}</p></div>", esc(msg))
}

/// Notes under a table.
pub fn notes(notes: &[String]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let mut h = String::from("<ul class=\"notes\">");
    for n in notes {
        let _ = write!(h, "<li>{}</li>", esc(n));
    }
    h.push_str("</ul>");
    h
}

/// Whether a column holds numbers (right-aligned).
fn numeric(t: &Table, j: usize) -> bool {
    t.rows.iter().any(|r| matches!(r[j], Cell::Int(_) | Cell::Float(_) | Cell::Hidden(_)))
        && t.rows.iter().all(|r| !matches!(r[j], Cell::Text(_)))
}

/// Rows shown on a page at most (downloads carry all of them).
pub const MAX_ROWS: usize = 5000;

/// A table with a caption; column names as headers; hidden cells as `<5` / `*` with an
/// explanation in their title.
pub fn table(t: &Table, caption: &str) -> String {
    let mut h = String::with_capacity(64 * t.rows.len() * t.columns.len().max(1));
    let _ = write!(h, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{}\"><table>\n<caption>{}</caption>\n<thead><tr>", esc(caption), esc(caption));
    let num: Vec<bool> = (0..t.columns.len()).map(|j| numeric(t, j)).collect();
    for (j, c) in t.columns.iter().enumerate() {
        let class = if num[j] { " class=\"n\"" } else { "" };
        let _ = write!(h, "<th scope=\"col\"{class}>{}</th>", esc(c));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for r in t.rows.iter().take(MAX_ROWS) {
        h.push_str("<tr>");
        for (j, c) in r.iter().enumerate() {
            let class = if num[j] { " class=\"n\"" } else { "" };
            match c {
                Cell::Hidden(s) => {
                    let why = if *s == csa_analysis::disclosure::Shown::Primary {
                        "a count of 1 to 4, suppressed"
                    } else {
                        "suppressed so that a small count cannot be worked out"
                    };
                    let _ = write!(
                        h,
                        "<td{class}><abbr title=\"{why}\">{}</abbr></td>",
                        esc(&c.text())
                    );
                }
                _ => {
                    let _ = write!(h, "<td{class}>{}</td>", esc(&c.display()));
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody></table></div>\n");
    if t.rows.len() > MAX_ROWS {
        let _ = write!(
            h,
            "<p class=\"note\">The table has {} rows; the first {MAX_ROWS} are shown here. The downloads carry all of them.</p>",
            t.rows.len()
        );
    }
    h
}

/// A `<select>` with a label.
pub fn select(
    id: &str,
    name: &str,
    label: &str,
    options: &[(String, String)],
    selected: &str,
) -> String {
    let mut h = format!(
        "<div class=\"field\"><label for=\"{id}\">{}</label><select id=\"{id}\" name=\"{name}\">",
        esc(label)
    );
    for (value, text) in options {
        let sel = if value == selected { " selected" } else { "" };
        let _ = write!(h, "<option value=\"{}\"{sel}>{}</option>", esc(value), esc(text));
    }
    h.push_str("</select></div>");
    h
}

/// A small line of monthly counts (inline SVG; the figures are in the table beside it).
pub fn sparkline(values: &[Option<u64>], label: &str) -> String {
    let (w, hgt) = (120.0, 28.0);
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    let n = values.len().max(2) as f64 - 1.0;
    let mut pts = String::new();
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            let x = 2.0 + (w - 4.0) * i as f64 / n;
            let y = hgt - 2.0 - (hgt - 4.0) * *v as f64 / max;
            let _ = write!(pts, "{x:.1},{y:.1} ");
        }
    }
    format!(
        "<svg class=\"spark\" width=\"{w}\" height=\"{hgt}\" viewBox=\"0 0 {w} {hgt}\" role=\"img\" aria-label=\"{}\"><polyline fill=\"none\" stroke=\"#1d4f91\" stroke-width=\"2\" points=\"{}\"/></svg>",
        esc(label),
        pts.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_open_markup() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(
            href("/priority", &[("priority", "a&b c".into())]),
            "/priority?priority=a%26b+c"
        );
    }
}
