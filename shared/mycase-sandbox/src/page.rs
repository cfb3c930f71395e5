//! Server-rendered HTML for people: `/` lists firms, `/_sandbox/firms/{uuid}` shows
//! what arrived in a firm, case by case. Every piece of data is HTML-escaped.

use std::fmt::Write;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::app::{AppRef, lock};
use crate::clock::ts;
use crate::store::{CfValue, Firm, Thread};

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

const STYLE: &str = "body{font-family:system-ui,-apple-system,sans-serif;margin:0;background:#f5f6f8;color:#1f2328}\
header{background:#1d3557;color:#fff;padding:1rem 2rem}header a{color:#cfe3ff}\
main{max-width:70rem;margin:0 auto;padding:1rem 2rem}\
section.case{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:1rem 1.5rem;margin:1.2rem 0}\
h2{margin:.2rem 0 .6rem}h3{margin:1rem 0 .4rem;font-size:1rem;color:#444;text-transform:uppercase;letter-spacing:.04em}\
.muted{color:#667;font-size:.85rem}.thread{border-left:3px solid #457b9d;padding:.2rem .8rem;margin:.6rem 0}\
.msg{margin:.5rem 0}.body{white-space:pre-wrap;margin:.2rem 0 0;background:#f0f4f8;padding:.4rem .6rem;border-radius:4px}\
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e5e8eb;vertical-align:top}\
.ok{color:#2b7a3d;font-weight:600}.no{color:#a33;font-weight:600}code{font-size:.85rem}";

fn layout(title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\
         <body><header><strong>MyCase sandbox</strong> · <a href=\"/\">firms</a><h1>{t}</h1></header><main>{body}</main></body></html>",
        t = esc(title)
    );
    Html(html).into_response()
}

pub async fn index(State(app): State<AppRef>) -> Response {
    let store = lock(&app.store);
    let mut body = String::new();
    if store.firms.is_empty() {
        body.push_str("<p>No firms yet. Create one with <code>POST /_sandbox/firms</code>.</p>");
    } else {
        body.push_str(
            "<table><tr><th>Firm</th><th>UUID</th><th>Cases</th><th>Clients</th><th></th></tr>",
        );
        for f in &store.firms {
            let _ = write!(
                body,
                "<tr><td><a href=\"/_sandbox/firms/{u}\">{n}</a></td><td><code>{u}</code></td><td>{c}</td><td>{k}</td>\
                 <td><a href=\"/_sandbox/firms/{u}/state\">JSON</a></td></tr>",
                u = esc(&f.uuid),
                n = esc(&f.name),
                c = f.cases.len(),
                k = f.clients.len()
            );
        }
        body.push_str("</table>");
    }
    layout("Firms", &body)
}

fn threads_html(firm: &Firm, threads: &[&Thread]) -> String {
    let mut out = String::new();
    if threads.is_empty() {
        return "<p class=\"muted\">No message threads.</p>".into();
    }
    for t in threads {
        let _ = write!(
            out,
            "<div class=\"thread\"><strong>{}</strong> <span class=\"muted\">thread #{} · {} message(s)</span>",
            esc(&t.subject),
            t.id,
            t.messages.len()
        );
        for m in &t.messages {
            let _ = write!(
                out,
                "<div class=\"msg\"><span class=\"muted\">{} · {} · #{}</span><div class=\"body\">{}</div></div>",
                esc(&ts(&m.created_at)),
                esc(&firm.person_name(m.sender_id)),
                m.id,
                esc(&m.body)
            );
        }
        out.push_str("</div>");
    }
    out
}

fn values_html(firm: &Firm, values: &[CfValue]) -> String {
    if values.is_empty() {
        return "<p class=\"muted\">No custom-field values.</p>".into();
    }
    let mut out =
        String::from("<table><tr><th>Field</th><th>Type</th><th>Value</th><th>Updated</th></tr>");
    for v in values {
        let (name, ftype) = firm
            .custom_fields
            .get(&v.field_id)
            .map(|f| (f.name.clone(), f.field_type.clone()))
            .unwrap_or_else(|| (format!("(deleted field #{})", v.field_id), String::new()));
        let dup = values.iter().filter(|o| o.field_id == v.field_id).count() > 1;
        let value = match &v.value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let _ = write!(
            out,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td><td class=\"muted\">{}</td></tr>",
            esc(&name),
            if dup {
                " <span class=\"no\">(duplicate)</span>"
            } else {
                ""
            },
            esc(&ftype),
            esc(&value),
            esc(&ts(&v.updated_at))
        );
    }
    out.push_str("</table>");
    out
}

fn notes_html(firm: &Firm, filter: impl Fn(&crate::store::Note) -> bool) -> String {
    let notes: Vec<_> = firm.notes.values().filter(|n| filter(n)).collect();
    if notes.is_empty() {
        return "<p class=\"muted\">No notes.</p>".into();
    }
    let mut out = String::new();
    for n in notes {
        let _ = write!(
            out,
            "<div class=\"msg\"><strong>{}</strong> <span class=\"muted\">{} · by {} · note #{}</span><div class=\"body\">{}</div></div>",
            esc(&n.subject),
            esc(n.date.as_deref().unwrap_or("")),
            esc(&firm.person_name(n.created_by)),
            n.id,
            esc(&n.note)
        );
    }
    out
}

fn documents_html(firm: &Firm, case_id: i64) -> String {
    let docs: Vec<_> = firm
        .documents
        .values()
        .filter(|d| d.case_id == Some(case_id))
        .collect();
    if docs.is_empty() {
        return "<p class=\"muted\">No documents.</p>".into();
    }
    let mut out = String::from(
        "<table><tr><th>Folder</th><th>Name</th><th>File</th><th>Version</th><th>Size</th><th>SHA-256</th><th>Uploaded</th><th>Description</th></tr>",
    );
    for d in docs {
        for v in &d.versions {
            let (size, sha, up) = match &v.upload {
                Some(u) => (
                    format!("{} B", u.size_bytes),
                    u.sha256[..12].to_string(),
                    "<span class=\"ok\">yes</span>",
                ),
                None => (String::new(), String::new(), "<span class=\"no\">no</span>"),
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&firm.folder_path(d.folder_id)),
                esc(&d.name),
                esc(&d.filename),
                v.number,
                esc(&size),
                esc(&sha),
                up,
                esc(d.description.as_deref().unwrap_or(""))
            );
        }
    }
    out.push_str("</table>");
    out
}

pub async fn firm_page(State(app): State<AppRef>, Path(uuid): Path<String>) -> Response {
    let store = lock(&app.store);
    let Some(firm) = store.firm(&uuid) else {
        return (
            StatusCode::NOT_FOUND,
            layout("Firm not found", "<p>No such firm.</p>"),
        )
            .into_response();
    };
    let mut body = format!(
        "<p class=\"muted\">firm_uuid <code>{}</code> · <a href=\"/_sandbox/firms/{}/state\">state JSON</a></p>",
        esc(&firm.uuid),
        esc(&firm.uuid)
    );
    for c in firm.cases.values() {
        let clients: Vec<String> = c
            .clients
            .iter()
            .map(|id| {
                firm.clients
                    .get(id)
                    .map(|k| k.full_name())
                    .unwrap_or_else(|| format!("#{id}"))
            })
            .collect();
        let threads: Vec<&Thread> = firm
            .threads
            .values()
            .filter(|t| t.case_id == Some(c.id))
            .collect();
        let _ = write!(
            body,
            "<section class=\"case\"><h2>{}</h2><p class=\"muted\">case #{} · {} · clients: {}</p>\
             <h3>Communications</h3>{}<h3>Notes</h3>{}<h3>Documents</h3>{}<h3>Custom fields</h3>{}</section>",
            esc(&c.name),
            c.id,
            esc(&c.status),
            esc(&clients.join(", ")),
            threads_html(firm, &threads),
            notes_html(firm, |n| n.case_id == Some(c.id)),
            documents_html(firm, c.id),
            values_html(firm, &c.custom_field_values)
        );
    }
    let loose: Vec<&Thread> = firm
        .threads
        .values()
        .filter(|t| t.case_id.is_none())
        .collect();
    let _ = write!(
        body,
        "<section class=\"case\"><h2>Not on a case</h2><h3>Message threads</h3>{}<h3>Client notes</h3>{}</section>",
        threads_html(firm, &loose),
        notes_html(firm, |n| n.case_id.is_none())
    );
    body.push_str("<section class=\"case\"><h2>Contacts</h2><table><tr><th>Kind</th><th>Id</th><th>Name</th><th>Email</th><th>Cell</th></tr>");
    for (kind, table) in [("client", &firm.clients), ("lead", &firm.leads)] {
        for k in table.values() {
            let _ = write!(
                body,
                "<tr><td>{kind}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                k.id,
                esc(&k.full_name()),
                esc(k.str_attr("email").unwrap_or("")),
                esc(k.str_attr("cell_phone_number").unwrap_or(""))
            );
        }
    }
    body.push_str("</table></section>");
    layout(&firm.name, &body)
}
