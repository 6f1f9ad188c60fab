//! The attributes only a sync's attribute flow reads, kept compactly on [`super::OnPremUser`].

/// The single-valued text attributes that only a sync's attribute flow reads (Entra Connect's out-of-box
/// user rules: `cn` for the displayName fallback, the address and company fields, the Exchange custom
/// attributes). They live in [`OnPremUser::profile`](super::OnPremUser::profile), a short list holding only the values present:
/// a million users should not carry 25 empty fields each.
///
/// Declared in the order LDAP sorts the names (case-insensitively), which is the order
/// [`OnPremUser::profile`](super::OnPremUser::profile) keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProfileAttribute {
    /// `c`: the two-letter country code.
    C,
    /// `cn`: the common name.
    Cn,
    /// `co`: the country name.
    Co,
    /// `company`.
    Company,
    /// `extensionAttribute1`.
    ExtensionAttribute1,
    /// `extensionAttribute10`.
    ExtensionAttribute10,
    /// `extensionAttribute11`.
    ExtensionAttribute11,
    /// `extensionAttribute12`.
    ExtensionAttribute12,
    /// `extensionAttribute13`.
    ExtensionAttribute13,
    /// `extensionAttribute14`.
    ExtensionAttribute14,
    /// `extensionAttribute15`.
    ExtensionAttribute15,
    /// `extensionAttribute2`.
    ExtensionAttribute2,
    /// `extensionAttribute3`.
    ExtensionAttribute3,
    /// `extensionAttribute4`.
    ExtensionAttribute4,
    /// `extensionAttribute5`.
    ExtensionAttribute5,
    /// `extensionAttribute6`.
    ExtensionAttribute6,
    /// `extensionAttribute7`.
    ExtensionAttribute7,
    /// `extensionAttribute8`.
    ExtensionAttribute8,
    /// `extensionAttribute9`.
    ExtensionAttribute9,
    /// `facsimileTelephoneNumber`.
    FacsimileTelephoneNumber,
    /// `l`: the city.
    L,
    /// `postalCode`.
    PostalCode,
    /// `preferredLanguage`.
    PreferredLanguage,
    /// `st`: the state or province.
    St,
    /// `streetAddress`.
    StreetAddress,
}

impl ProfileAttribute {
    /// Every profile attribute, in declaration order.
    pub const ALL: [Self; 25] = [
        Self::C,
        Self::Cn,
        Self::Co,
        Self::Company,
        Self::ExtensionAttribute1,
        Self::ExtensionAttribute10,
        Self::ExtensionAttribute11,
        Self::ExtensionAttribute12,
        Self::ExtensionAttribute13,
        Self::ExtensionAttribute14,
        Self::ExtensionAttribute15,
        Self::ExtensionAttribute2,
        Self::ExtensionAttribute3,
        Self::ExtensionAttribute4,
        Self::ExtensionAttribute5,
        Self::ExtensionAttribute6,
        Self::ExtensionAttribute7,
        Self::ExtensionAttribute8,
        Self::ExtensionAttribute9,
        Self::FacsimileTelephoneNumber,
        Self::L,
        Self::PostalCode,
        Self::PreferredLanguage,
        Self::St,
        Self::StreetAddress,
    ];

    /// The attribute's name in AD's schema spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::C => "c",
            Self::Cn => "cn",
            Self::Co => "co",
            Self::Company => "company",
            Self::ExtensionAttribute1 => "extensionAttribute1",
            Self::ExtensionAttribute10 => "extensionAttribute10",
            Self::ExtensionAttribute11 => "extensionAttribute11",
            Self::ExtensionAttribute12 => "extensionAttribute12",
            Self::ExtensionAttribute13 => "extensionAttribute13",
            Self::ExtensionAttribute14 => "extensionAttribute14",
            Self::ExtensionAttribute15 => "extensionAttribute15",
            Self::ExtensionAttribute2 => "extensionAttribute2",
            Self::ExtensionAttribute3 => "extensionAttribute3",
            Self::ExtensionAttribute4 => "extensionAttribute4",
            Self::ExtensionAttribute5 => "extensionAttribute5",
            Self::ExtensionAttribute6 => "extensionAttribute6",
            Self::ExtensionAttribute7 => "extensionAttribute7",
            Self::ExtensionAttribute8 => "extensionAttribute8",
            Self::ExtensionAttribute9 => "extensionAttribute9",
            Self::FacsimileTelephoneNumber => "facsimileTelephoneNumber",
            Self::L => "l",
            Self::PostalCode => "postalCode",
            Self::PreferredLanguage => "preferredLanguage",
            Self::St => "st",
            Self::StreetAddress => "streetAddress",
        }
    }

    /// `extensionAttributeN` for N in 1..=15.
    pub fn extension(number: u8) -> Option<Self> {
        EXTENSION_ATTRIBUTES
            .get(usize::from(number).checked_sub(1)?)
            .copied()
    }

    /// N for `extensionAttributeN`.
    pub fn extension_number(self) -> Option<u8> {
        EXTENSION_ATTRIBUTES
            .iter()
            .position(|attribute| *attribute == self)
            .and_then(|index| u8::try_from(index + 1).ok())
    }
}

/// `extensionAttribute1` to `extensionAttribute15`, by number.
const EXTENSION_ATTRIBUTES: [ProfileAttribute; 15] = {
    use ProfileAttribute as P;
    [
        P::ExtensionAttribute1,
        P::ExtensionAttribute2,
        P::ExtensionAttribute3,
        P::ExtensionAttribute4,
        P::ExtensionAttribute5,
        P::ExtensionAttribute6,
        P::ExtensionAttribute7,
        P::ExtensionAttribute8,
        P::ExtensionAttribute9,
        P::ExtensionAttribute10,
        P::ExtensionAttribute11,
        P::ExtensionAttribute12,
        P::ExtensionAttribute13,
        P::ExtensionAttribute14,
        P::ExtensionAttribute15,
    ]
};
