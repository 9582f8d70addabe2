//! The public side of inquiries (issue 14; T3.3 c, T8): anyone sends a question, a complaint
//! or a request to see footage of themselves, and gets a receipt number with a secret; with
//! both they see the state of their inquiry and the ward's answers.
//!
//! The form needs no account, so it is built to be abused: sizes are limited, each network
//! address may send `[office.inquiries] per_address_per_hour` messages, a field people never
//! see (a honeypot) turns away scripts that fill in everything, and what is sent is stored as
//! text and only ever shown escaped. Status lookups present a secret, so they are throttled at
//! the sign-in rate, in a throttle of their own (they do not use up staff's sign-ins), and an
//! unknown receipt and a wrong secret get the same answer. An IPv6 address counts by its /64,
//! which one subscriber usually holds whole.

use mimamori_db::vocabulary::{self, EventBody};
use mimamori_db::{EntryKind, Event, NewInquiry};
use mimamori_policy::inquiry::{Category, Receipt, CONTACT_MAX_CHARS, MESSAGE_MAX_CHARS};
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::throttle::{network_of, Peer, Verdict};
use crate::wire::inquiries::{InquiryInput, PublicAnswer, PublicStatus, StatusInput, Submitted};
use crate::workflow::fields::{check_characters, reply_text};
use crate::workflow::inquiries::sha256_hex;
use crate::OfficeState;

/// The secret's letters: no 0/O, 1/I/L, so that it can be read off paper and typed back.
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 16 letters of 31: about 79 bits, far beyond guessing at a throttled rate.
const SECRET_LETTERS: usize = 16;

/// The actor of what the public form delivers.
pub const PUBLIC_ACTOR: &str = "public";

fn new_secret() -> String {
    let mut rng = rand::thread_rng();
    let letters: Vec<char> = (0..SECRET_LETTERS)
        .map(|_| char::from(SECRET_ALPHABET[rng.gen_range(0..SECRET_ALPHABET.len())]))
        .collect();
    letters
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The secret as typed: hyphens and spaces dropped, full-width letters (as a Japanese input
/// method gives them) made ASCII, lower case made upper.
fn normalized(secret: &str) -> String {
    secret
        .chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !matches!(c, '-' | ' ' | '\u{3000}' | 'ー'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn secret_sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(normalized(secret).as_bytes()).into()
}

/// Equal, in a time that does not depend on where they differ.
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn parse_category(text: &str) -> Result<Category, ApiError> {
    Category::parse(text.trim()).ok_or_else(|| {
        ApiError::invalid(
            "category",
            "choose inquiry, complaint, own_footage or other",
            "種別（問合せ・苦情・本人の映像の申出・その他）を選んでください",
        )
    })
}

pub(crate) fn parse_receipt(text: &str) -> Result<Receipt, ApiError> {
    let text: String = normalized(text)
        .chars()
        .enumerate()
        .flat_map(|(i, c)| (i == 4).then_some('-').into_iter().chain([c]))
        .collect();
    Receipt::parse(&text).ok_or_else(|| {
        ApiError::invalid(
            "receipt",
            "a receipt number looks like 2026-00042",
            "受付番号は 2026-00042 の形です",
        )
    })
}

fn too_many(what_en: &str, what_ja: &str, retry_after: jiff::SignedDuration) -> ApiError {
    let mins = (retry_after.as_secs() + 59) / 60;
    ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "too_many_messages",
        format!("too many {what_en} from this address; try again in {mins} min"),
        format!("このアドレスからの{what_ja}が多すぎます。{mins}分後に再度お試しください"),
    )
}

/// T3.3 c: files a message from the public form and answers with its receipt.
pub async fn submit(
    office: &OfficeState,
    input: InquiryInput,
    peer: Option<Peer>,
) -> Result<Submitted, ApiError> {
    if !input.website.trim().is_empty() {
        return Err(ApiError::bad_request(
            "honeypot",
            "this message looks sent by a program; leave the hidden field empty",
            "プログラムによる送信と判断しました。非表示の欄は空のままにしてください",
        ));
    }
    let category = parse_category(&input.category)?;
    let message = reply_text("message", &input.message, MESSAGE_MAX_CHARS)?;
    let contact = input.contact.trim();
    check_characters("contact", contact)?;
    if contact.chars().count() > CONTACT_MAX_CHARS {
        return Err(ApiError::invalid(
            "contact",
            format!("must be at most {CONTACT_MAX_CHARS} characters"),
            format!("{CONTACT_MAX_CHARS}文字以内にしてください"),
        ));
    }
    let now = office.clock.now();
    let limits = &office.policy.office.inquiries;
    if let Some(Peer(ip)) = peer {
        let verdict =
            office
                .inquiry_throttle
                .check(network_of(ip), limits.per_address_per_hour, now);
        if let Verdict::Refused { retry_after, .. } = verdict {
            return Err(too_many("messages", "送信", retry_after));
        }
    }
    let secret = new_secret();
    let new = NewInquiry {
        category,
        message,
        contact: (!contact.is_empty()).then(|| contact.to_owned()),
        secret_sha256: secret_sha256(&secret),
    };
    let receipt = office
        .db
        .receive_inquiry(&new, now, &office.policy.ward.time_zone, |receipt| {
            let body = EventBody::InquiryReceived(vocabulary::InquiryReceived {
                receipt: receipt.clone(),
                category,
                message_sha256: sha256_hex(&new.message),
                contact_given: new.contact.is_some(),
            });
            Event::system(PUBLIC_ACTOR, body).at(now)
        })
        .await?;
    Ok(Submitted {
        receipt,
        secret,
        answer_due: limits.due(now),
    })
}

/// What the person sees of their inquiry, given its receipt number and secret.
pub async fn status(
    office: &OfficeState,
    input: StatusInput,
    peer: Option<Peer>,
) -> Result<PublicStatus, ApiError> {
    let now = office.clock.now();
    if let Some(Peer(ip)) = peer {
        let limit = office.policy.office.signin_attempts_per_minute;
        let verdict = office.lookup_throttle.check(network_of(ip), limit, now);
        if let Verdict::Refused { retry_after, .. } = verdict {
            return Err(too_many("lookups", "照会", retry_after));
        }
    }
    let unknown = || {
        ApiError::not_found(
            "unknown_receipt",
            "no inquiry has this receipt number and secret",
            "この受付番号と確認コードの問合せはありません",
        )
    };
    let receipt = parse_receipt(&input.receipt).map_err(|_| unknown())?;
    let presented = secret_sha256(&input.secret);
    let Some(row) = office.db.inquiry(&receipt).await? else {
        return Err(unknown());
    };
    if !same(&row.secret_sha256, &presented) {
        return Err(unknown());
    }
    let answers = office
        .db
        .inquiry_entries(&receipt)
        .await?
        .into_iter()
        .filter(|e| e.kind == EntryKind::Answer)
        .map(|e| PublicAnswer {
            at: e.at,
            text: e.text,
        })
        .collect();
    Ok(PublicStatus {
        receipt: row.receipt,
        category: row.category,
        state: row.state,
        received: row.received,
        answer_due: office.policy.office.inquiries.due(row.received),
        answers,
        closed: row.closed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_reads_back_however_it_is_typed() {
        let secret = new_secret();
        assert_eq!(secret.len(), 19);
        assert!(secret
            .chars()
            .all(|c| c == '-' || SECRET_ALPHABET.contains(&(c as u8))));
        let typed = secret.replace('-', " ").to_lowercase();
        assert_eq!(secret_sha256(&typed), secret_sha256(&secret));
        let full_width: String = secret
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        assert_eq!(secret_sha256(&full_width), secret_sha256(&secret));
        assert_ne!(secret_sha256(&new_secret()), secret_sha256(&secret));
    }

    #[test]
    fn receipts_are_read_with_or_without_the_hyphen() {
        assert_eq!(parse_receipt("2026-00042").unwrap().as_str(), "2026-00042");
        assert_eq!(parse_receipt("202600042").unwrap().as_str(), "2026-00042");
        assert_eq!(
            parse_receipt("２０２６－００００１").unwrap().as_str(),
            "2026-00001"
        );
        assert!(parse_receipt("2026-0042").is_err());
    }
}
