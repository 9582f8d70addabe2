//! One list page for the records that are only rows (requests, holds, delegations): a title,
//! a lead, the columns, the rows with a link each may carry, and the forms that add to the
//! list. A refusal to read shows in the page's box with the error's status.

use askama::Template;
use askama_web::WebTemplate;
use axum::response::{IntoResponse, Response};

use super::pages::{refused, Person, Problem};
use super::session::WebCaller;
use super::Tr;
use crate::error::ApiError;

/// A link on a list page: where it goes and its words.
pub struct Link {
    pub path: String,
    pub label: String,
}

pub struct Row {
    pub cells: Vec<String>,
    /// The row's own page, steps and documents (a request; a delegation's PDF, its withdrawal).
    pub links: Vec<Link>,
}

#[derive(Template, WebTemplate)]
#[template(path = "table.html")]
pub struct TablePage {
    pub tr: Tr,
    pub me: Option<Person>,
    pub here: String,
    pub title: String,
    pub lead: String,
    pub problem: Option<Problem>,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// Forms that add to the list, for those whose roles take them.
    pub actions: Vec<Link>,
    /// Buttons that post at once (no fields), e.g. ending the other sessions.
    pub buttons: Vec<Link>,
}

impl TablePage {
    /// The page at `here`, titled and led by the keys `title` and `lead`, its columns by keys.
    pub fn new(web: &WebCaller, here: &str, title: &str, lead: &str, columns: &[&str]) -> Self {
        let tr = Tr::new(web.lang);
        TablePage {
            tr,
            me: Some(Person::of(&web.caller)),
            here: here.to_owned(),
            title: tr.t(title),
            lead: tr.t(lead),
            problem: None,
            columns: columns.iter().map(|c| tr.t(c)).collect(),
            rows: Vec::new(),
            actions: Vec::new(),
            buttons: Vec::new(),
        }
    }

    /// A form that adds to the list, shown when `shown`.
    pub fn action(mut self, shown: bool, path: &str, label: &str) -> Self {
        if shown {
            self.actions.push(Link {
                path: path.to_owned(),
                label: self.tr.t(label),
            });
        }
        self
    }

    /// A button that posts to `path` at once.
    pub fn button(mut self, path: &str, label: &str) -> Self {
        self.buttons.push(Link {
            path: path.to_owned(),
            label: self.tr.t(label),
        });
        self
    }

    /// The rows, or the refusal to read them.
    pub fn answer(mut self, rows: Result<Vec<Row>, ApiError>) -> Response {
        match rows {
            Ok(rows) => {
                self.rows = rows;
                self.into_response()
            }
            Err(e) => {
                let status = refused(&mut self.problem, &e, self.tr.lang);
                (status, self).into_response()
            }
        }
    }
}
