//! Closed vocabularies of the data model: police.uk crime types, location types, sex,
//! ethnicity (ONS groups) and hate-crime strands, each with its canonical spelling and the
//! synonyms accepted on input.

/// Normalises a code for matching: lower case, `_`/`-`/`&` folded, runs of spaces collapsed.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for ch in s.trim().chars() {
        let ch = match ch {
            '_' | '-' => ' ',
            c => c.to_ascii_lowercase(),
        };
        if ch == ' ' {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(ch);
            space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out.replace(" & ", " and ")
}

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $canon:literal $(| $syn:literal)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in canonical order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical spelling stored in the dataset.
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $canon),+ }
            }

            /// Parses the canonical spelling or a known synonym, ignoring case, `_`, `-`
            /// and `&`/`and`.
            pub fn parse(s: &str) -> Option<$name> {
                // fast path: the canonical spelling as written
                $(
                    if s == $canon {
                        return Some($name::$variant);
                    }
                )+
                static TABLE: std::sync::OnceLock<std::collections::HashMap<String, $name>> = std::sync::OnceLock::new();
                let table = TABLE.get_or_init(|| {
                    let mut t = std::collections::HashMap::new();
                    $(
                        t.insert(fold($canon), $name::$variant);
                        $( t.insert(fold($syn), $name::$variant); )*
                    )+
                    t
                });
                table.get(&fold(s)).copied()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

vocabulary! {
    /// The 14 police.uk crime types (anti-social behaviour included), as police.uk spells them.
    CrimeType {
        AntiSocialBehaviour => "Anti-social behaviour" | "ASB" | "antisocial behaviour",
        BicycleTheft => "Bicycle theft",
        Burglary => "Burglary",
        CriminalDamageArson => "Criminal damage and arson",
        Drugs => "Drugs",
        OtherCrime => "Other crime",
        OtherTheft => "Other theft",
        PossessionOfWeapons => "Possession of weapons",
        PublicOrder => "Public order",
        Robbery => "Robbery",
        Shoplifting => "Shoplifting",
        TheftFromThePerson => "Theft from the person",
        VehicleCrime => "Vehicle crime",
        ViolenceAndSexualOffences => "Violence and sexual offences",
    }
}

vocabulary! {
    /// Where the crime happened, as a closed list of ten types.
    LocationType {
        Dwelling => "dwelling" | "home" | "house" | "residential" | "flat",
        Street => "street" | "road" | "highway" | "public place",
        LicensedPremises => "licensed premises" | "pub" | "bar" | "nightclub" | "club",
        Shop => "shop" | "retail" | "store" | "supermarket",
        Vehicle => "vehicle" | "car",
        CarPark => "car park" | "parking",
        Education => "education" | "school" | "college" | "university",
        Transport => "transport" | "bus" | "train" | "station" | "bus station" | "railway",
        OpenSpace => "open space" | "park" | "field" | "playground",
        Other => "other",
    }
}

vocabulary! {
    /// Recorded sex of a victim or offender.
    Sex {
        Male => "male" | "m",
        Female => "female" | "f",
        Unknown => "unknown" | "u" | "not stated" | "not known" | "x",
    }
}

vocabulary! {
    /// ONS high-level ethnic groups (Census 2021), plus "Not stated". Police officer-defined
    /// IC codes and the 16+1 self-defined codes are accepted as synonyms.
    Ethnicity {
        Asian => "Asian" | "Asian, Asian British or Asian Welsh" | "Asian or Asian British"
            | "IC4" | "IC5" | "A1" | "A2" | "A3" | "A4" | "A9",
        Black => "Black" | "Black, Black British, Black Welsh, Caribbean or African"
            | "Black or Black British" | "IC3" | "B1" | "B2" | "B9",
        Mixed => "Mixed" | "Mixed or Multiple ethnic groups" | "Mixed or multiple"
            | "M1" | "M2" | "M3" | "M9",
        White => "White" | "IC1" | "IC2" | "W1" | "W2" | "W3" | "W4" | "W9",
        Other => "Other" | "Other ethnic group" | "IC6" | "O1" | "O9",
        NotStated => "Not stated" | "Unknown" | "IC0" | "IC9" | "NS" | "not known",
    }
}

vocabulary! {
    /// The five monitored hate-crime strands.
    HateStrand {
        Race => "race" | "racial" | "racist",
        Religion => "religion" | "religious" | "faith",
        SexualOrientation => "sexual orientation" | "homophobic",
        Disability => "disability",
        Transgender => "transgender" | "transphobic" | "gender identity",
    }
}

vocabulary! {
    /// Whether a row is a notifiable crime, a police anti-social behaviour incident, or a
    /// partner's incident (council ASB, deliberate fires, ambulance or emergency-department
    /// assault attendances, youth justice: the `incidents` input). Partner incidents never
    /// count as crime unless a priority's filter asks for them (`csa_analysis::select`).
    RecordKind {
        Crime => "crime",
        Asb => "asb",
        Incident => "incident" | "partner" | "partner incident",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourteen_police_uk_types_parse_in_any_case() {
        assert_eq!(CrimeType::ALL.len(), 14);
        for t in CrimeType::ALL {
            assert_eq!(CrimeType::parse(t.name()), Some(*t));
            assert_eq!(CrimeType::parse(&t.name().to_uppercase()), Some(*t));
        }
        assert_eq!(
            CrimeType::parse("Violence and Sexual Offences"),
            Some(CrimeType::ViolenceAndSexualOffences)
        );
        assert_eq!(
            CrimeType::parse("Criminal Damage & Arson"),
            Some(CrimeType::CriminalDamageArson)
        );
        assert_eq!(CrimeType::parse("Violent crime"), None);
    }

    #[test]
    fn synonyms_and_codes() {
        assert_eq!(LocationType::ALL.len(), 10);
        assert_eq!(LocationType::parse("Licensed_Premises"), Some(LocationType::LicensedPremises));
        assert_eq!(Ethnicity::parse("ic4"), Some(Ethnicity::Asian));
        assert_eq!(Ethnicity::parse("Asian, Asian British or Asian Welsh"), Some(Ethnicity::Asian));
        assert_eq!(Sex::parse(" F "), Some(Sex::Female));
        assert_eq!(Sex::parse("female-ish"), None);
        assert_eq!(fold("  Car   Park "), "car park");
    }
}
