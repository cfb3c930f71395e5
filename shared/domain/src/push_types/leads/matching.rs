//! Find before create: the MyCase client a lead already is, by email
//! (case-insensitive), then by phone (as E.164); never by name alone, since two
//! people share a name far more often than an email or a number.
//!
//! MyCase's filters are exact and their matching rules undocumented, so every
//! candidate is checked here too: its email equal ignoring case, or one of its
//! numbers equal once normalised to E.164. A number is looked up in the spellings
//! people type, because MyCase keeps phone numbers as typed (see [`phone_spellings`]).
//! Several matches: the oldest client (lowest id) wins, so every conversion of
//! the same person picks the same one.
//!
//! These lookups ask MyCase directly; a lead normally goes through the client index
//! instead ([`super::index`]), which applies the same rules. They remain for while the
//! index is being built, and for an email MyCase says is taken meanwhile.

use crate::error::PushError;
use crate::ids::{ClientId, E164Phone, EmailAddress};
use crate::ports::{ClientContact, ClientLookup, Clients, PhoneField};

/// How a lead matched an existing client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    Email,
    Phone,
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Email => "email",
            MatchedBy::Phone => "phone",
        }
    }
}

pub async fn find_by_email(
    mycase: &dyn Clients,
    email: &EmailAddress,
) -> Result<Option<ClientId>, PushError> {
    let found = mycase
        .find_clients(ClientLookup::Email(email.as_str()))
        .await?;
    Ok(oldest(found.iter().filter(|c| {
        c.email.as_deref().is_some_and(|e| email.matches(e))
    })))
}

pub async fn find_by_phone(
    mycase: &dyn Clients,
    phone: &E164Phone,
) -> Result<Option<ClientId>, PushError> {
    let spellings = phone_spellings(phone);
    for field in PhoneField::ALL {
        for spelling in &spellings {
            let found = mycase
                .find_clients(ClientLookup::Phone(field, spelling))
                .await?;
            if let Some(id) = oldest(found.iter().filter(|c| has_phone(c, phone))) {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}

/// Email first, then phone.
pub async fn find_client(
    mycase: &dyn Clients,
    email: Option<&EmailAddress>,
    phone: Option<&E164Phone>,
) -> Result<Option<(ClientId, MatchedBy)>, PushError> {
    if let Some(email) = email
        && let Some(id) = find_by_email(mycase, email).await?
    {
        return Ok(Some((id, MatchedBy::Email)));
    }
    if let Some(phone) = phone
        && let Some(id) = find_by_phone(mycase, phone).await?
    {
        return Ok(Some((id, MatchedBy::Phone)));
    }
    Ok(None)
}

/// The spellings of a number that a filter is tried with: E.164 (how Hona writes
/// it), and for North American numbers the three ways staff usually type one:
/// `(503) 555-0142`, `503-555-0142`, `5035550142`.
pub fn phone_spellings(phone: &E164Phone) -> Vec<String> {
    let e164 = phone.as_str();
    let mut spellings = vec![e164.to_owned()];
    if let Some(national) = e164.strip_prefix("+1")
        && national.len() == 10
    {
        let (area, rest) = national.split_at(3);
        let (exchange, line) = rest.split_at(3);
        spellings.push(format!("({area}) {exchange}-{line}"));
        spellings.push(format!("{area}-{exchange}-{line}"));
        spellings.push(national.to_owned());
    }
    spellings
}

pub(crate) fn has_phone(client: &ClientContact, phone: &E164Phone) -> bool {
    client
        .phones
        .iter()
        .any(|p| E164Phone::parse(p).is_ok_and(|p| &p == phone))
}

fn oldest<'a>(clients: impl Iterator<Item = &'a ClientContact>) -> Option<ClientId> {
    clients.map(|c| c.id).min()
}

/// Candidates in the order they are tried: the oldest client (lowest id) first.
pub(crate) fn oldest_first(mut ids: Vec<ClientId>) -> Vec<ClientId> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn north_american_numbers_are_looked_up_as_staff_type_them() {
        let p = E164Phone::parse("+1 503 555 0142").unwrap();
        assert_eq!(
            phone_spellings(&p),
            [
                "+15035550142",
                "(503) 555-0142",
                "503-555-0142",
                "5035550142"
            ]
        );
        let uk = E164Phone::parse("+44 20 7946 0958").unwrap();
        assert_eq!(phone_spellings(&uk), ["+442079460958"]);
    }
}
