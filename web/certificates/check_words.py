"""What each check of the verify page means, in the visitor's language, for each outcome.

The verifier (ledger.certificates.verify) reports each check with a detail in English, written
for `dledger cert verify` (figures, entry indexes, command-line options). The page says in the
visitor's words what a passed, a failed or an unchecked check establishes, and what to do
about it; for a failed check it also shows the verifier's own words, which name the entry or
the value at fault, marked as the verifier's (English).
"""

from __future__ import annotations

from flask_babel import lazy_gettext

from ledger.certificates import verify as v

PASSED = {
    v.FORMAT_CHECK: lazy_gettext("The file is a whole certificate of this system's format."),
    v.PRINTED_CHECK: lazy_gettext("The printed pages are those of the attached certificate: "
                                  "the first page prints its SHA-256, and every page reads."),
    v.SIGNATURE_CHECK: lazy_gettext("The checkpoint the certificate relies on is signed with "
                                    "the plant's key."),
    v.INCLUSION_CHECK: lazy_gettext("Every ledger entry the certificate relies on is proven to "
                                    "be in the plant's signed log."),
    v.CHAIN_CHECK: lazy_gettext("The chain of entries of each record is complete, from its "
                                "first entry to its last."),
    v.STATEMENTS_CHECK: lazy_gettext("Every figure, flag and status of the certificate was "
                                     "derived again from the entries, and they match."),
    v.ISSUANCE_CHECK: lazy_gettext("The issuing of this certificate is itself an entry of the "
                                   "plant's log."),
    v.TRUSTED_CHECK: lazy_gettext("Your saved checkpoint and the certificate's belong to one "
                                  "log: it was neither rolled back nor forked since."),
    v.REVOCATION_CHECK: lazy_gettext("This console lists the certificate as issued and not "
                                     "revoked."),
}
NOT_CHECKED = {
    v.PRINTED_CHECK: lazy_gettext("The printed pages could not be compared with the "
                                  "attachment here: compare the figures above with the paper."),
    v.INCLUSION_CHECK: lazy_gettext("Not checked: the checkpoint is not signed with a key this "
                                    "plant trusts (see above)."),
    v.ISSUANCE_CHECK: lazy_gettext("Not checked: the checkpoint is not signed with a key this "
                                   "plant trusts (see above)."),
    v.TRUSTED_CHECK: lazy_gettext("No saved checkpoint was given. Paste one of this plant's "
                                  "checkpoints you saved earlier to prove that its log was "
                                  "not rolled back or forked since."),
    v.REVOCATION_CHECK: lazy_gettext("Not checked: this console could not say whether the "
                                     "certificate was revoked."),
}
FAILED = {
    v.FORMAT_CHECK: lazy_gettext("The file is not a whole certificate of this system's "
                                 "format."),
    v.PRINTED_CHECK: lazy_gettext("The printed pages are not those of the attached "
                                  "certificate: do not rely on the paper."),
    v.SIGNATURE_CHECK: lazy_gettext("The checkpoint is not signed with a key of this plant: the "
                                    "certificate cannot be trusted."),
    v.INCLUSION_CHECK: lazy_gettext("An entry the certificate relies on is not proven to be in "
                                    "the plant's log."),
    v.CHAIN_CHECK: lazy_gettext("A record's chain of entries is broken or incomplete: an entry "
                                "is missing or does not belong."),
    v.STATEMENTS_CHECK: lazy_gettext("A figure, flag or status of the certificate differs from "
                                     "what its entries say: it was altered."),
    v.ISSUANCE_CHECK: lazy_gettext("The issuing of this certificate is not proven in the "
                                   "plant's log."),
    v.TRUSTED_CHECK: lazy_gettext("Your saved checkpoint and the certificate's are not of one "
                                  "log: it was rolled back or forked."),
    v.REVOCATION_CHECK: lazy_gettext("The certificate was revoked, or this console does not "
                                     "know it."),
}
_NOT_CHECKED = lazy_gettext("Not checked.")
_FAILED = lazy_gettext("This check failed.")


def meaning(name: str, ok: bool | None) -> str:
    """What check `name` with outcome `ok` (True, False, None: not run) establishes."""
    if ok:
        return str(PASSED.get(name, ""))
    if ok is None:
        return str(NOT_CHECKED.get(name, _NOT_CHECKED))
    return str(FAILED.get(name, _FAILED))
