"""rendering.typesetting._nodate: xdvipdfmx's stand-in creation date (SOURCE_DATE_EPOCH's
1 January 1970) is blanked in place, and nothing else is touched."""

from __future__ import annotations

import datetime

from rendering.typesetting._nodate import EPOCH_ENTRY, driver_options, without_epoch_date
from rendering.typesetting._sandbox import SOURCE_DATE_EPOCH


def test_the_entry_is_the_epoch_of_the_sandbox() -> None:
    epoch = datetime.datetime.fromtimestamp(int(SOURCE_DATE_EPOCH), datetime.UTC)
    assert f"(D:{epoch:%Y%m%d%H%M%S}-00'00')".encode() in EPOCH_ENTRY


def test_the_entry_becomes_spaces_of_the_same_length() -> None:
    pdf = b"%PDF-1.5\n2 0 obj\n<</Producer(x)" + EPOCH_ENTRY + b">>\nendobj\n"
    blanked = without_epoch_date(pdf)
    assert len(blanked) == len(pdf)
    assert b"CreationDate" not in blanked
    assert blanked.startswith(b"%PDF-1.5\n2 0 obj\n<</Producer(x) ")
    assert blanked.endswith(b" >>\nendobj\n")


def test_any_other_date_or_a_second_one_is_left_alone() -> None:
    dated = b"<</CreationDate(D:20240502093000Z)>>"
    assert without_epoch_date(dated) == dated
    twice = EPOCH_ENTRY + EPOCH_ENTRY  # not the one dictionary xdvipdfmx writes: leave it
    assert without_epoch_date(twice) == twice


def test_only_xetex_gets_the_driver_option() -> None:
    assert driver_options("/usr/bin/xelatex") == ["-output-driver=xdvipdfmx -q -E -C 0x40"]
    assert driver_options("pdflatex") == []
