//! HENNGE Access Control's side of the switch-over, for the demo, which has no HAC tenant.
//!
//! Once AD is the source, HENNGE's Directory Sync Tool reads AD and feeds HAC: with
//! `ms-ds-consistencyGUID` among the attributes it reads (HENNGE's own sample configuration lists it),
//! the ImmutableID HAC sends becomes the Base64 of that attribute, which is the AD sourceAnchor. The demo
//! cannot run the tool, so it writes the user list HAC would export after that sync: each listed user's
//! ImmutableID replaced by the sourceAnchor of the AD user with the same sign-in name, everything else as
//! it was.

use anchorsync_core::directory::OnPremUser;
use anchorsync_core::engine::EngineSettings;
use anchorsync_core::engine::index::eq_folded;
use anchorsync_core::engine::source_anchor::source_anchor;
use anyhow::Context as _;

/// The columns of the demo's HAC export that the sync changes and looks users up by.
const LOGIN_COLUMN: &str = "Login ID";
const IMMUTABLE_ID_COLUMN: &str = "ImmutableID";

/// The HAC export as it will be after HENNGE's Directory Sync Tool has synced from AD, and how many
/// users' ImmutableIDs changed. `export` is the demo's HAC export (UTF-8 with a byte-order mark, CRLF).
pub fn after_directory_sync(
    export: &[u8],
    users: &[OnPremUser],
    settings: &EngineSettings,
) -> anyhow::Result<(Vec<u8>, usize)> {
    let text = export.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(export);
    let mut reader = csv::ReaderBuilder::new().from_reader(text);
    let headers = reader
        .headers()
        .context("the demo's HAC export has no header")?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|header| header == name)
            .with_context(|| format!("the demo's HAC export has no `{name}` column"))
    };
    let (login, immutable_id) = (column(LOGIN_COLUMN)?, column(IMMUTABLE_ID_COLUMN)?);
    let anchor_of = |upn: &str| {
        users
            .iter()
            .find(|user| {
                user.user_principal_name
                    .as_deref()
                    .is_some_and(|own| eq_folded(own, upn))
            })
            .and_then(|user| {
                source_anchor(user, &settings.anchor_attribute, settings.anchor_encoding).ok()
            })
            .map(|anchor| anchor.value)
    };
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut changed = 0;
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        writer.write_record(&headers)?;
        for record in reader.records() {
            let record = record.context("the demo's HAC export is not valid CSV")?;
            let mut fields: Vec<String> = record.iter().map(str::to_owned).collect();
            let anchor = fields.get(login).and_then(|upn| anchor_of(upn));
            if let (Some(anchor), Some(field)) = (anchor, fields.get_mut(immutable_id))
                && *field != anchor
            {
                *field = anchor;
                changed += 1;
            }
            writer.write_record(&fields)?;
        }
        writer.flush()?;
    }
    Ok((out, changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sync_carries_the_ad_anchor_into_hac() {
        let export = "\u{feff}Username,Login ID,ImmutableID\r\ntaro,taro@example.co.jp,10000183\r\n\
                      ken,ken@example.co.jp,10000184\r\n";
        let taro = OnPremUser {
            dn: "CN=Taro".into(),
            user_principal_name: Some("Taro@example.co.jp".into()),
            consistency_guid: Some(vec![1; 16]),
            ..OnPremUser::default()
        };
        let (after, changed) =
            after_directory_sync(export.as_bytes(), &[taro], &EngineSettings::default()).unwrap();
        assert_eq!(changed, 1);
        assert_eq!(
            String::from_utf8(after).unwrap(),
            "\u{feff}Username,Login ID,ImmutableID\r\ntaro,taro@example.co.jp,AQEBAQEBAQEBAQEBAQEBAQ==\r\n\
             ken,ken@example.co.jp,10000184\r\n"
        );
    }
}
