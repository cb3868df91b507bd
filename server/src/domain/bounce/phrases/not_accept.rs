//! Wording that means `notaccept`: the host accepts no mail at all (null MX, RFC 7505; X.3.2).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "does not accept mail",
    "doesn't accept mail",
    "not accepting mail",
    "null mx",
    "couldn't find a mail exchanger",
    "indicated no smtp service",
    "could not find a mail exchanger",
    "no mx record",
    "does not accept e-mail",
    "system not accepting network messages",
    // the field's wider vocabulary (Sisimai's reason lists)
    "name server: .: host not found",
    "no route for current request",
    "smtp protocol returned a permanent error",
    // Exim's own wording (its deliver.c, route.c and transports)
    "no host found for existing smtp connection",
    // OpenSMTPD's wording
    "destination seem to reject all mails",
    // From Sisimai 5's list for this reason.
    "mail receiving disabled",
    "mx or srv record indicated no smtp",
];
