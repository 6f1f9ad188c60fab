//! Realistic people and places for synthetic directories: Japanese names in kanji with their romaji,
//! Western names, offices, departments and titles.

/// A person's name as a directory holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    /// Given name as written (`太郎`, `Emma`).
    pub given: &'static str,
    /// Family name as written (`山田`, `Smith`).
    pub family: &'static str,
    /// Given name in ASCII, for addresses.
    pub given_ascii: &'static str,
    /// Family name in ASCII, for addresses.
    pub family_ascii: &'static str,
    /// Whether the display name is family name first, without a comma (Japanese style).
    pub family_first: bool,
}

impl Person {
    /// The display name as an AD administrator in that country writes it.
    pub fn display_name(&self) -> String {
        if self.family_first {
            format!("{} {}", self.family, self.given)
        } else {
            format!("{} {}", self.given, self.family)
        }
    }

    /// The display name in ASCII (what a cloud-created account often carries).
    pub fn display_name_ascii(&self) -> String {
        format!(
            "{} {}",
            capitalised(self.given_ascii),
            capitalised(self.family_ascii)
        )
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Japanese family names: kanji, romaji.
pub const JAPANESE_FAMILY: &[(&str, &str)] = &[
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("渡辺", "watanabe"),
    ("伊藤", "ito"),
    ("山本", "yamamoto"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
    ("吉田", "yoshida"),
    ("山田", "yamada"),
    ("佐々木", "sasaki"),
    ("山口", "yamaguchi"),
    ("松本", "matsumoto"),
    ("井上", "inoue"),
    ("木村", "kimura"),
    ("林", "hayashi"),
    ("清水", "shimizu"),
    ("斎藤", "saito"),
];

/// Japanese given names: kanji, romaji.
pub const JAPANESE_GIVEN: &[(&str, &str)] = &[
    ("太郎", "taro"),
    ("花子", "hanako"),
    ("浩", "hiroshi"),
    ("由紀", "yuki"),
    ("健二", "kenji"),
    ("明子", "akiko"),
    ("大輔", "daisuke"),
    ("直子", "naoko"),
    ("隆", "takashi"),
    ("由美", "yumi"),
    ("翔太", "shota"),
    ("美咲", "misaki"),
    ("蓮", "ren"),
    ("葵", "aoi"),
    ("陽翔", "haruto"),
    ("結衣", "yui"),
];

/// Western family names: as written, in ASCII.
pub const WESTERN_FAMILY: &[(&str, &str)] = &[
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Jones", "jones"),
    ("Miller", "miller"),
    ("Davis", "davis"),
    ("Garcia", "garcia"),
    ("Wilson", "wilson"),
    ("Anderson", "anderson"),
    ("Taylor", "taylor"),
    ("Thomas", "thomas"),
    ("Moore", "moore"),
    ("Martin", "martin"),
    ("Clark", "clark"),
    ("Lewis", "lewis"),
    ("O'Brien", "obrien"),
    ("Müller", "mueller"),
];

/// Western given names: as written, in ASCII.
pub const WESTERN_GIVEN: &[(&str, &str)] = &[
    ("James", "james"),
    ("Mary", "mary"),
    ("John", "john"),
    ("Patricia", "patricia"),
    ("Robert", "robert"),
    ("Jennifer", "jennifer"),
    ("Michael", "michael"),
    ("Linda", "linda"),
    ("David", "david"),
    ("Elizabeth", "elizabeth"),
    ("William", "william"),
    ("Susan", "susan"),
    ("Emma", "emma"),
    ("Oliver", "oliver"),
    ("Sophie", "sophie"),
    ("Lucas", "lucas"),
    ("José", "jose"),
    ("Zoë", "zoe"),
];

/// An office: OU path below the domain, country, telephone prefix, office name, whether Japanese names
/// dominate there.
#[derive(Debug, Clone, Copy)]
pub struct Office {
    /// OUs from the leaf up, as they appear in a DN.
    pub ous: &'static [&'static str],
    /// ISO country code (usageLocation).
    pub country: &'static str,
    /// Telephone prefix.
    pub phone_prefix: &'static str,
    /// physicalDeliveryOfficeName.
    pub name: &'static str,
    /// Whether most people here have Japanese names.
    pub japanese: bool,
}

/// The offices of the synthetic company.
pub const OFFICES: &[Office] = &[
    Office {
        ous: &["Users", "Tokyo", "Japan"],
        country: "JP",
        phone_prefix: "+81 3-5555-",
        name: "東京本社",
        japanese: true,
    },
    Office {
        ous: &["Users", "Osaka", "Japan"],
        country: "JP",
        phone_prefix: "+81 6-5555-",
        name: "大阪支社",
        japanese: true,
    },
    Office {
        ous: &["Users", "Fukuoka", "Japan"],
        country: "JP",
        phone_prefix: "+81 92-555-",
        name: "福岡営業所",
        japanese: true,
    },
    Office {
        ous: &["Users", "New York", "Americas"],
        country: "US",
        phone_prefix: "+1 212-555-",
        name: "New York",
        japanese: false,
    },
    Office {
        ous: &["Users", "London", "EMEA"],
        country: "GB",
        phone_prefix: "+44 20 7946 ",
        name: "London",
        japanese: false,
    },
];

/// Departments: Japanese, English.
pub const DEPARTMENTS: &[(&str, &str)] = &[
    ("営業部", "Sales"),
    ("開発部", "Engineering"),
    ("人事部", "Human Resources"),
    ("経理部", "Finance"),
    ("情報システム部", "IT"),
    ("総務部", "General Affairs"),
];

/// Job titles: Japanese, English.
pub const TITLES: &[(&str, &str)] = &[
    ("部長", "General Manager"),
    ("課長", "Manager"),
    ("主任", "Senior Staff"),
    ("担当", "Staff"),
    ("エンジニア", "Engineer"),
    ("アナリスト", "Analyst"),
];
