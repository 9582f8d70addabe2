//! Japanese first, English by a switch (issue 13): Fluent bundles for both, built once from
//! `crates/office/i18n/*.ftl`. Japanese is the source language; a test checks that every key
//! exists in both. Unicode isolation marks are off: they would leak into HTML and PDFs.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// The two languages of the staff screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of Japanese or English in the caller's `Accept-Language`, by weight;
    /// Japanese when neither is named.
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Lang {
        let Some(value) = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::Ja;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("ja") => Lang::Ja,
                Some("en") => Lang::En,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Ja, |(_, l)| l)
    }

    /// The other one, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
}

const JA: &str = include_str!("../../i18n/ja.ftl");
const EN: &str = include_str!("../../i18n/en.ftl");

fn bundle(lang: Lang, source: &'static str) -> FluentBundle<FluentResource> {
    let resource = FluentResource::try_new(source.to_owned())
        .unwrap_or_else(|(_, e)| panic!("{}.ftl does not parse: {e:?}", lang.code()));
    let id = lang.code().parse().expect("a language identifier");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .unwrap_or_else(|e| panic!("{}.ftl repeats a key: {e:?}", lang.code()));
    bundle
}

static BUNDLES: LazyLock<[FluentBundle<FluentResource>; 2]> =
    LazyLock::new(|| [bundle(Lang::Ja, JA), bundle(Lang::En, EN)]);

/// A translator for one language, handed to every template.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The text of `key`; the key itself if it is missing (a test keeps that from happening).
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// Whether `key` has a text in this language.
    pub fn knows(&self, key: &str) -> bool {
        BUNDLES[self.lang as usize].has_message(key)
    }

    /// The text of `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), value.to_owned());
        self.format(key, Some(&args))
    }

    /// The text of `key` with two arguments, `a` = `a_value` and `b` = `b_value`.
    pub fn t2(&self, key: &str, a: &str, a_value: &str, b: &str, b_value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(a.to_owned(), a_value.to_owned());
        args.set(b.to_owned(), b_value.to_owned());
        self.format(key, Some(&args))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = &BUNDLES[self.lang as usize];
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::error!(key, lang = self.lang.code(), "missing translation");
            return key.to_owned();
        };
        let mut errors = Vec::new();
        let text = bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned();
        if !errors.is_empty() {
            tracing::error!(key, ?errors, "translation failed");
        }
        text
    }
}

/// The message keys of a Fluent source, in order.
#[cfg(test)]
fn keys(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_in_both_languages() {
        let (ja, en) = (keys(JA), keys(EN));
        assert!(ja.len() > 30, "{} keys", ja.len());
        let missing_en: Vec<_> = ja.iter().filter(|k| !en.contains(k)).collect();
        let missing_ja: Vec<_> = en.iter().filter(|k| !ja.contains(k)).collect();
        assert!(missing_en.is_empty(), "not in en.ftl: {missing_en:?}");
        assert!(missing_ja.is_empty(), "not in ja.ftl: {missing_ja:?}");
        for lang in [Lang::Ja, Lang::En] {
            for key in &ja {
                let text = Tr::new(lang).t2(key, "name", "佐藤", "login", "sato");
                assert_ne!(&text, key, "{key} in {}", lang.code());
                assert!(!text.contains('\u{2068}'), "no isolation marks: {key}");
            }
        }
    }

    /// Every `tr.t("…")` key a template names is in both languages.
    #[test]
    fn every_key_a_template_names_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("tr.t(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                for lang in [Lang::Ja, Lang::En] {
                    assert!(Tr::new(lang).knows(key), "{key} ({})", path.display());
                }
                seen += 1;
            }
        }
        assert!(seen > 50, "{seen} keys");
    }

    #[test]
    fn arguments_are_placed() {
        let tr = Tr::new(Lang::Ja);
        assert_eq!(
            tr.t2("signed-in-as", "name", "佐藤 取扱", "login", "sato"),
            "佐藤 取扱（sato）"
        );
        assert_eq!(Tr::new(Lang::En).t("sign-out"), "Sign out");
    }

    /// The password label states the length the check enforces (N3.3.1), in both languages:
    /// the words cannot drift from `MIN_PASSWORD_CHARS`.
    #[test]
    fn the_password_label_states_the_enforced_length() {
        let n = crate::auth::MIN_PASSWORD_CHARS;
        let ja = Tr::new(Lang::Ja).t("password-new");
        assert!(ja.contains(&format!("{n}文字以上")), "{ja}");
        let en = Tr::new(Lang::En).t("password-new");
        assert!(en.contains(&format!("{n} characters or more")), "{en}");
    }
}
