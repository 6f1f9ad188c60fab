//! Distinguished names compared as Active Directory compares them: per RDN, attribute types and values
//! case-insensitively, escapes (`\,` and `\2C`) resolved, spaces around separators ignored.

/// A DN split into normalised RDNs, most specific first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NormalizedDn(Vec<String>);

impl NormalizedDn {
    /// Normalises a DN. Malformed escapes are kept literally: this is for comparison, not validation.
    pub fn new(dn: &str) -> Self {
        let mut rdns = Vec::new();
        let mut current: Vec<u8> = Vec::new();
        let bytes = dn.as_bytes();
        let mut index = 0;
        let mut in_value = false;
        while let Some(&byte) = bytes.get(index) {
            match byte {
                b'\\' => {
                    let hex = bytes
                        .get(index + 1..index + 3)
                        .and_then(|pair| std::str::from_utf8(pair).ok())
                        .and_then(|pair| u8::from_str_radix(pair, 16).ok());
                    if let Some(value) = hex {
                        current.push(value);
                        index += 3;
                    } else if let Some(&escaped) = bytes.get(index + 1) {
                        current.push(escaped);
                        index += 2;
                    } else {
                        current.push(byte);
                        index += 1;
                    }
                    continue;
                }
                b',' | b';' => {
                    rdns.push(normalize_rdn(&current));
                    current.clear();
                    in_value = false;
                }
                b'=' if !in_value => {
                    in_value = true;
                    current.push(byte);
                }
                _ => current.push(byte),
            }
            index += 1;
        }
        if !current.is_empty() || !rdns.is_empty() {
            rdns.push(normalize_rdn(&current));
        }
        Self(rdns)
    }

    /// Whether this DN is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &NormalizedDn) -> bool {
        !ancestor.0.is_empty() && self.0.ends_with(&ancestor.0)
    }
}

fn normalize_rdn(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    match text.split_once('=') {
        Some((attribute, value)) => format!(
            "{}={}",
            attribute.trim().to_lowercase(),
            value.trim().to_lowercase()
        ),
        None => text.trim().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_compare_like_ad() {
        let ou = NormalizedDn::new("OU=Excluded, OU=Fixture,DC=corp,DC=example,DC=com");
        assert!(
            NormalizedDn::new("cn=X,ou=excluded,ou=fixture,dc=CORP,dc=example,dc=com")
                .is_within(&ou)
        );
        assert!(
            !NormalizedDn::new("CN=X,OU=NotExcluded,OU=Fixture,DC=corp,DC=example,DC=com")
                .is_within(&ou)
        );
        assert!(
            NormalizedDn::new("CN=Doe\\2C John,OU=A\\,B,DC=corp")
                .is_within(&NormalizedDn::new("OU=A\\2cB,DC=corp"))
        );
        assert!(
            !NormalizedDn::new("CN=Doe\\, John,DC=corp")
                .is_within(&NormalizedDn::new("CN=John,DC=corp"))
        );
    }
}
