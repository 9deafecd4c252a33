"""Whether a buyer's name agrees with the register's name of the customer their email
address or identity code leads to. An order is attached to a customer only when it
does: an email address or a code alone is easy to know or guess for someone else.

Names are compared as people write them in Finland, and no looser:

- Unicode NFKC first (a decomposed "a" + combining diaeresis is "ä", a full-width
  letter its plain one), then case-folded, and runs of whitespace are one space.
- Letters are not otherwise folded: "Mäki" and "Maki" are different names.
- The surnames are equal.
- The first names are equal, or the words of one are all among the words of the
  other: a shop often asks only for the name a person goes by ("Aino") while the
  register has all of them ("Aino Maria"), or the other way round. Both empty agree;
  one empty and the other not does not."""

from __future__ import annotations

import unicodedata


def name_words(value: str) -> tuple[str, ...]:
    """The words of a name, normalised for comparison."""
    return tuple(unicodedata.normalize("NFKC", value).casefold().split())


def names_agree(
    *, given_surname: str, given_first_names: str, surname: str, first_names: str
) -> bool:
    """Whether the name given with an order is the register's name (see the module)."""
    if name_words(given_surname) != name_words(surname):
        return False
    given, stored = name_words(given_first_names), name_words(first_names)
    if not given or not stored:
        return given == stored
    return set(given) <= set(stored) or set(stored) <= set(given)
