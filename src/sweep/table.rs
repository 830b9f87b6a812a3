//! A table of text cells rendered as Markdown or as HTML, so that `sweep.md` and
//! `sweep.html` (and the scorecard's pages) show the same table from one definition. A
//! cell's line breaks are `<br>` in both.

use std::fmt::Write as _;

use zkarena_harness::report::escape;

/// A table: a header and rows of text cells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Column titles.
    pub header: Vec<String>,
    /// Rows, each as wide as the header; a cell's `\n` is a line break.
    pub rows: Vec<Vec<String>>,
    /// Rows to highlight in HTML (by index).
    pub flagged: Vec<usize>,
}

impl Table {
    /// A table with these column titles.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            ..Table::default()
        }
    }

    /// Adds a row; `flag` highlights it in HTML.
    pub fn row(&mut self, cells: Vec<String>, flag: bool) {
        if flag {
            self.flagged.push(self.rows.len());
        }
        self.rows.push(cells);
    }

    /// GitHub-flavoured Markdown (`|` in a cell escaped).
    pub fn markdown(&self) -> String {
        let cell = |t: &String| t.replace('|', "\\|").replace('\n', "<br>");
        let line = |cells: &[String]| {
            format!(
                "| {} |\n",
                cells.iter().map(cell).collect::<Vec<_>>().join(" | ")
            )
        };
        let mut s = line(&self.header);
        let _ = writeln!(s, "|{}", "---|".repeat(self.header.len()));
        for r in &self.rows {
            s.push_str(&line(r));
        }
        s
    }

    /// An HTML table (text escaped; flagged rows in the page's `bad` class).
    pub fn html(&self) -> String {
        let cell = |t: &String| escape(t).replace('\n', "<br>");
        let mut s = String::from("<table><tr>");
        for h in &self.header {
            let _ = write!(s, "<th>{}</th>", cell(h));
        }
        s.push_str("</tr>\n");
        for (i, r) in self.rows.iter().enumerate() {
            let class = if self.flagged.contains(&i) {
                " class=\"bad\""
            } else {
                ""
            };
            let _ = write!(s, "<tr{class}>");
            for c in r {
                let _ = write!(s, "<td>{}</td>", cell(c));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</table>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table_renders_as_markdown_and_html() {
        let mut t = Table::new(["cell", "claims"]);
        t.row(vec!["a|b".into(), "ok\n<x>".into()], false);
        t.row(vec!["c".into(), "FAILED".into()], true);
        assert_eq!(
            t.markdown(),
            "| cell | claims |\n|---|---|\n| a\\|b | ok<br><x> |\n| c | FAILED |\n"
        );
        let html = t.html();
        assert!(
            html.contains("<td>a|b</td><td>ok<br>&lt;x&gt;</td>"),
            "{html}"
        );
        assert!(html.contains("<tr class=\"bad\"><td>c</td>"), "{html}");
    }
}
