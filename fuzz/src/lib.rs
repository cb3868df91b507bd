//! What the fuzz targets share.

/// libfuzzer-sys aborts on every panic, even one the code catches on purpose: mail-parser 0.11
/// panics on some malformed nested multiparts ("Invalid part ID"), and the classifier and the
/// inbound path catch that and call the input unreadable. Such panics are let through to that
/// `catch_unwind`; any other panic still goes to libfuzzer-sys's hook and aborts, and a
/// mail-parser panic that nothing catches still unwinds into libfuzzer-sys and aborts too.
pub fn let_caught_mail_parser_panics_unwind() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_mail_parser = info
                .location()
                .is_some_and(|l| l.file().contains("/mail-parser-"));
            if !in_mail_parser {
                abort(info);
            }
        }));
    });
}
