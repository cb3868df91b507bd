//! Wording that means `hostunknown`: the recipient's domain does not exist or has no mail host (X.1.2).
//! Lower-case; matched anywhere in the lower-cased diagnostic (see [`super::scan`]).

pub(super) const PHRASES: &[&str] = &[
    "host unknown",
    "unknown host",
    "host or domain name not found",
    "domain does not exist",
    "domain not found",
    "no such domain",
    "domain must exist",
    "domain is not reachable",
    "unknown domain",
    "name or service not known",
    "unrouteable address",
    "the account or domain may not exist",
    "mail domain mentioned in email address is unknown",
    "dns records for the destination computer could not be found",
    "invalid domain",
    // the field's wider vocabulary (Sisimai's reason lists)
    "unroutable address",
    // Exim's own wording (its deliver.c, route.c and transports)
    "all host address lookups failed permanently",
    "all relevant mx records point to non-existent hosts",
    // qmail and qmail-ldap's own wording (qmail-remote.c, qmail-local.c, the LDAP patch)
    "sorry, i couldn't find any host",
    // OpenSMTPD's and Exchange's wording
    "invalid domain name",
    "smtpsend.dns.nonexistentdomain",
    // Messaging Server's wording
    "illegal host/domain name found",
    // au (EZweb)'s wording
    "as the remote domain doesnt exist",
    "as the remote domain doesn't exist",
    // Gmail's "DNS Error: Domain name not found" (the domain has no DNS at all)
    "domain name not found",
    // From Sisimai 5's list for this reason.
    "domain mentioned in email address is unknown",
];
