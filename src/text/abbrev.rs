//! Word lists for the sentence splitter: abbreviations and sentence starters.

/// Abbreviations that never end a sentence: titles before a name (`Mr.`,
/// `Gen.`) and Latin/legal ones followed by more of the sentence (`e.g.`,
/// `vs.`). Matched case-sensitively.
const NEVER_FINAL: &[&str] = &[
    "Adm", "Atty", "Brig", "Capt", "Cdr", "Cmdr", "Col", "Cpl", "Cpt", "Dr", "Drs", "Fr", "Gen",
    "Gov", "Hon", "Insp", "Lt", "Maj", "Messrs", "Mme", "Mr", "Mrs", "Ms", "Msgr", "Mt", "Pres",
    "Prof", "Rep", "Reps", "Rev", "Sen", "Sens", "Sgt", "Supt", "Vs", "cf", "e.g", "E.g", "i.e",
    "I.e", "v", "viz", "vs",
];

/// Abbreviations that usually precede a number (`No. 5`, `Jan. 12`, `p. 7`).
/// Before a number they never end a sentence; otherwise they are treated
/// like [`is_ambiguous`] abbreviations.
const BEFORE_NUMBER: &[&str] = &[
    "Apr", "Art", "Aug", "Ch", "Dec", "Feb", "Fig", "Jan", "Jul", "Jun", "Mar", "No", "Nos", "Nov",
    "Oct", "Para", "Sec", "Sep", "Sept", "Vol", "approx", "art", "ca", "ch", "fig", "no", "nos",
    "p", "para", "pp", "sec", "vol",
];

/// Abbreviations that may end a sentence (`Apple Inc.`, `Martin Luther King
/// Jr.`): they end one only before a typical sentence starter.
const AMBIGUOUS: &[&str] = &[
    "Ave", "Blvd", "Bros", "Co", "Corp", "Dept", "Esq", "Gov't", "Govt", "Inc", "Jr", "Ltd", "Rd",
    "Sr", "St", "Univ", "al", "dept", "est", "govt", "ibid",
];

/// Words that typically start a sentence; used after ambiguous abbreviations
/// (`... in the U.S. The ...`).
const STARTERS: &[&str] = &[
    "A",
    "According",
    "After",
    "Also",
    "Although",
    "An",
    "And",
    "As",
    "At",
    "Because",
    "Before",
    "But",
    "By",
    "During",
    "Earlier",
    "For",
    "From",
    "He",
    "Her",
    "Here",
    "His",
    "How",
    "However",
    "I",
    "If",
    "In",
    "It",
    "Its",
    "Last",
    "Later",
    "Meanwhile",
    "More",
    "Most",
    "Mr",
    "Mrs",
    "Ms",
    "No",
    "Now",
    "On",
    "Once",
    "One",
    "Only",
    "Our",
    "She",
    "Since",
    "So",
    "Some",
    "Still",
    "That",
    "The",
    "Their",
    "There",
    "These",
    "They",
    "This",
    "Those",
    "Thus",
    "To",
    "Under",
    "We",
    "What",
    "When",
    "Where",
    "While",
    "Who",
    "Why",
    "With",
    "Yet",
    "You",
];

/// Whether `token` (without its final period) never ends a sentence.
pub fn never_final(token: &str) -> bool {
    NEVER_FINAL.contains(&token)
}

/// Whether `token` is an abbreviation usually followed by a number.
pub fn before_number(token: &str) -> bool {
    BEFORE_NUMBER.contains(&token)
}

/// Whether `token` is an abbreviation that may or may not end a sentence:
/// listed ones, and dotted letter groups such as `U.S`, `U.N`, `a.m`, `Ph.D`.
pub fn is_ambiguous(token: &str) -> bool {
    AMBIGUOUS.contains(&token) || is_dotted_letters(token)
}

/// `U.S`, `D.C`, `a.m`, `Ph.D`: letter groups of one or two letters separated
/// by periods (at least one period).
pub fn is_dotted_letters(token: &str) -> bool {
    token.contains('.')
        && token
            .split('.')
            .all(|g| (1..=2).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// Whether `word` typically starts a sentence.
pub fn is_starter(word: &str) -> bool {
    STARTERS.contains(&word)
}

/// A single capital letter: an initial (`J. R. R. Tolkien`, `George W. Bush`).
pub fn is_initial(token: &str) -> bool {
    token.len() == 1 && token.bytes().all(|b| b.is_ascii_uppercase())
}

/// A list marker at the start of a line: `1`, `12`, `a`, `iv`.
pub fn is_list_marker(token: &str) -> bool {
    let digits = !token.is_empty() && token.len() <= 3 && token.bytes().all(|b| b.is_ascii_digit());
    let letter = token.len() == 1 && token.bytes().all(|b| b.is_ascii_alphabetic());
    let roman = !token.is_empty()
        && token.len() <= 4
        && token.bytes().all(|b| matches!(b, b'i' | b'v' | b'x'));
    digits || letter || roman
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_letters() {
        assert!(is_dotted_letters("U.S"));
        assert!(is_dotted_letters("Ph.D"));
        assert!(!is_dotted_letters("www.example"));
        assert!(!is_dotted_letters("US"));
        assert!(!is_dotted_letters("3.5"));
    }

    #[test]
    fn classes() {
        assert!(never_final("Mr"));
        assert!(before_number("No"));
        assert!(is_ambiguous("Inc"));
        assert!(is_starter("The"));
        assert!(is_initial("W"));
        assert!(is_list_marker("12") && is_list_marker("iv") && !is_list_marker("2017"));
    }
}
