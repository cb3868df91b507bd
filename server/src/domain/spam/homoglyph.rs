//! Letters that look like Latin ones (Unicode TR 39's "confusables", the common part): the
//! Cyrillic `а` in `Binаnce`, the Greek `ο`, fullwidth and mathematical-bold Latin. Used to
//! read a name as a person sees it, and to spot words that mix scripts.

/// Which writing system a letter belongs to, for the scripts that imitate Latin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Latin,
    Cyrillic,
    Greek,
    Other,
}

pub fn script(c: char) -> Script {
    match c as u32 {
        0x41..=0x5a | 0x61..=0x7a | 0xc0..=0x24f | 0x1e00..=0x1eff => Script::Latin,
        0x370..=0x3ff | 0x1f00..=0x1fff => Script::Greek,
        0x400..=0x52f => Script::Cyrillic,
        _ => Script::Other,
    }
}

/// The ASCII letter `c` passes for, if it is a look-alike of one from another script, a
/// fullwidth form or a mathematical letter; `None` for everything else (ASCII included).
pub fn latin_lookalike(c: char) -> Option<char> {
    let cp = c as u32;
    // Fullwidth Latin (U+FF21–U+FF3A, U+FF41–U+FF5A).
    if (0xff21..=0xff3a).contains(&cp) || (0xff41..=0xff5a).contains(&cp) {
        return char::from_u32(cp - 0xff21 + 0x41);
    }
    // Mathematical alphanumerics: thirteen styles of 52 letters from U+1D400.
    if (0x1d400..0x1d400 + 13 * 52).contains(&cp) {
        let i = (cp - 0x1d400) % 52;
        return char::from_u32(if i < 26 { 0x41 + i } else { 0x61 + i - 26 });
    }
    Some(match c {
        'а' => 'a',
        'е' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' => 'x',
        'і' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'ԁ' => 'd',
        'һ' => 'h',
        'ӏ' => 'l',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'ɡ' => 'g',
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'Х' => 'X',
        'І' => 'I',
        'Ѕ' => 'S',
        'Ј' => 'J',
        'α' => 'a',
        'ο' => 'o',
        'ι' => 'i',
        'κ' => 'k',
        'ν' => 'v',
        'ρ' => 'p',
        'τ' => 't',
        'υ' => 'u',
        'χ' => 'x',
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        _ => return None,
    })
}

/// Combining marks drawn over or through a letter (U+0334–U+0338: tilde, stroke and slash
/// overlays), which leave a word readable but no longer the word a filter looks for.
pub fn is_overlay_mark(c: char) -> bool {
    ('\u{334}'..='\u{338}').contains(&c)
}

/// `text` lower-cased as a reader sees it: look-alikes become their Latin letters, combining
/// marks and apostrophes go, every other non-alphanumeric becomes one space.
pub fn reader_form(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = latin_lookalike(c).unwrap_or(c);
        if ('\u{300}'..='\u{36f}').contains(&c) || c == '\'' || c == '’' {
            continue;
        }
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_read_as_latin() {
        assert_eq!(reader_form("Binаnсе"), "binance"); // Cyrillic а, с, е
        assert_eq!(reader_form("ＰａｙＰａｌ"), "paypal");
        assert_eq!(reader_form("𝐍𝐞𝐭𝐟𝐥𝐢𝐱"), "netflix");
        assert_eq!(reader_form("  Lowe's -- Rewards!"), "lowes rewards");
        assert_eq!(reader_form("E\u{337}ntrega"), "entrega");
    }

    #[test]
    fn scripts() {
        assert_eq!(script('a'), Script::Latin);
        assert_eq!(script('é'), Script::Latin);
        assert_eq!(script('а'), Script::Cyrillic);
        assert_eq!(script('ο'), Script::Greek);
        assert_eq!(script('中'), Script::Other);
        assert_eq!(latin_lookalike('a'), None);
    }
}
