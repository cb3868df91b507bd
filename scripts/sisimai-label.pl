#!/usr/bin/perl
# Label a folder of bounce messages with the installed Sisimai (Debian's libsisimai-perl)
# and print labels.tsv in the format of /work/shared/corpora/*/labels.tsv:
#   file rcpt_index sisimai_reason category status_code reply_code recipient feedback_type
# Usage: scripts/sisimai-label.pl CORPUS_DIR/eml > CORPUS_DIR/labels.tsv
# Needs Debian's libsisimai-perl (4.25.15). Calibrate against labels from another Sisimai with
# scripts/compare-labels.py.
# Each file is read on its own (one message per file); a file Sisimai does not read as a
# bounce, complaint or auto-reply gets no row. rcpt_index counts from 1 per file in
# Sisimai's order. The category column follows the map in the corpora README.
use strict;
use warnings;
use Sisimai;

my %category_of = (
    (map { $_ => 'hard_bounce' } qw(userunknown hostunknown hasmoved)),
    (map { $_ => 'soft_bounce' } qw(mailboxfull exceedlimit systemfull mesgtoobig expired
        systemerror mailererror networkerror toomanyconn speeding suspend syntaxerror
        failedstarttls)),
    (map { $_ => 'isp_block' } qw(blocked rejected policyviolation virusdetected
        securityerror badreputation requireptr notcompliantrfc authfailure norelaying
        filtered contenterror)),
    spamdetected => 'spam_complaint_auto',
    vacation     => 'auto_reply',
    (map { $_ => 'other' } qw(delivered onhold undefined none)),
);

sub category {
    my ($reason, $status, $reply, $feedback) = @_;
    if ($reason eq 'feedback') {
        return ($feedback eq 'abuse' || $feedback eq '') ? 'spam_complaint_manual' : 'other';
    }
    if ($reason eq 'notaccept') {
        my $first = substr($status || $reply || '5', 0, 1);
        return $first eq '4' ? 'soft_bounce' : 'hard_bounce';
    }
    return $category_of{$reason} // 'other';
}

my $dir = shift or die "usage: $0 EML_DIR\n";
opendir(my $dh, $dir) or die "cannot open $dir: $!\n";
my @files = sort grep { -f "$dir/$_" && !/^\./ } readdir($dh);
closedir($dh);

print join("\t", qw(file rcpt_index sisimai_reason category status_code reply_code recipient
    feedback_type)), "\n";
for my $file (@files) {
    my $list = eval { Sisimai->make("$dir/$file", 'delivered' => 1) } // [];
    warn "$file: $@" if $@;
    my $n = 0;
    for my $d (@$list) {
        $n++;
        my $reason   = $d->reason // '';
        my $status   = $d->deliverystatus // '';
        my $reply    = $d->replycode // '';
        my $feedback = $d->feedbacktype // '';
        my $rcpt     = $d->recipient ? $d->recipient->address : '';
        my @cols = ($file, $n, $reason, category($reason, $status, $reply, $feedback),
            $status, $reply, $rcpt, $feedback);
        s/[\t\r\n]+/ /g for @cols;
        print join("\t", @cols), "\n";
    }
}
