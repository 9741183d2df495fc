"""Streaming readers for uploaded CSV and .xlsx files.

Nothing here loads the whole file: the encoding and the delimiter are detected on a
sample from the start of the file, then rows are decoded and parsed as they are
read. Row numbers are the ones a spreadsheet shows: the header is row 1 (or the
first non-blank row), every record counts once even if a quoted cell spans lines,
blank rows count but yield nothing.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import quopri
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import charset_normalizer

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
MAX_COLUMNS = 500
XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
VCARD_MAGIC = b"BEGIN:VCARD"


class ReadError(Exception):
    """The file as a whole cannot be read; the message is shown to the user."""


@dataclass
class TableInfo:
    file_format: str  # "csv" | "xlsx"
    headers: list[str]
    header_row: int
    encoding: str = ""
    delimiter: str = ""
    estimated_rows: int = 0
    extra: dict = field(default_factory=dict)


def detect_format(head: bytes, name: str = "") -> str:
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if name.lower().endswith((".vcf", ".vcard")) or VCARD_MAGIC in head[:64].upper():
        return "vcf"
    if head.startswith(OLE2_MAGIC) or name.lower().endswith(".xls"):
        raise ReadError("Old Excel .xls files cannot be read: save the sheet as .xlsx or CSV and upload that.")
    return "csv"


def detect_encoding(sample: bytes) -> str:
    """BOMs first, then strict UTF-8, then charset-normalizer's best guess on the
    sample (UTF-16 without BOM, Windows-1252, …); binary data is refused."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if sample.startswith(bom):
            return encoding
    if not sample.strip():
        return "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        if b"\x00" not in sample:
            return "utf-8"
    except UnicodeDecodeError:
        pass
    matches = charset_normalizer.from_bytes(sample[:64 * 1024])
    best = matches.best()
    if best is not None:
        # Short samples often fit several single-byte code pages equally well (same
        # chaos and coherence); Windows-1252 is what Excel writes in Western locales,
        # so it wins such a tie — only a tie, never over a better-scoring candidate.
        tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
        best = next((m for m in tied if m.encoding == "cp1252"), best)
    if best is None:
        raise ReadError("This file is not readable text: upload a CSV (UTF-8, UTF-16 or Windows-1252) or an "
                        ".xlsx file.")
    encoding = codecs.lookup(best.encoding).name
    text = str(best)
    if "\x00" in text or sum(1 for ch in text[:4096] if not ch.isprintable() and ch not in "\r\n\t") > 20:
        raise ReadError("This file is not readable text: upload a CSV (UTF-8, UTF-16 or Windows-1252) or an "
                        ".xlsx file.")
    return encoding


def detect_delimiter(text: str) -> str:
    """The candidate that splits the sample's rows into the same number (> 1) of
    cells most consistently; ties go to the wider table, then to the comma."""
    if "\n" in text[:-1]:
        text = text[: text.rfind("\n") + 1]  # drop a possibly cut last line
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r][:50]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        consistent = sum(1 for r in rows if len(r) == width) / len(rows)
        score = (width > 1, consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _decoded_sample(sample: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)


def _count_newlines(path) -> int:
    count = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            count += chunk.count(b"\n")
    return count


def inspect(path, name: str = "") -> TableInfo:
    """Detect the format, encoding and delimiter, and read the header row."""
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    file_format = detect_format(sample[:64], name)
    if file_format == "xlsx":
        return _inspect_xlsx(path)
    encoding = detect_encoding(sample)
    if file_format == "vcf":
        return _inspect_vcard(path, encoding)
    delimiter = detect_delimiter(_decoded_sample(sample, encoding))
    info = TableInfo(file_format="csv", headers=[], header_row=0, encoding=encoding, delimiter=delimiter)
    for row_number, cells in _csv_records(path, encoding, delimiter):
        if any(c.strip() for c in cells):
            info.headers, info.header_row = [c.strip() for c in cells], row_number
            break
    if not info.headers:
        raise ReadError("The file is empty: it needs a header row and at least one data row.")
    if len(info.headers) > MAX_COLUMNS:
        raise ReadError(f"The header row has {len(info.headers)} columns; at most {MAX_COLUMNS} are supported.")
    newlines = _count_newlines(path)
    info.estimated_rows = max(newlines // (2 if encoding.startswith("utf-16") else 1) - info.header_row, 1)
    return info


def _csv_records(path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    with open(path, encoding=encoding, newline="", errors="strict") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        number = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise ReadError(f"Row {number + 1}: the file is not valid {encoding} from here on ({exc.reason}). "
                                f"Save it again as CSV UTF-8 and re-upload.") from None
            except csv.Error as exc:
                raise ReadError(f"Row {number + 1}: the CSV is malformed ({exc}).") from None
            number += 1
            # PostgreSQL text cannot hold NUL; it is never meaningful in a cell.
            yield number, [c.replace("\x00", "") if "\x00" in c else c for c in cells]


def iter_rows(path, info: TableInfo) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) for every non-blank data row after the header."""
    if info.file_format == "vcf":
        yield from vcard_records(path, info.encoding)
        return
    source = _xlsx_records(path) if info.file_format == "xlsx" else _csv_records(path, info.encoding, info.delimiter)
    for number, cells in source:
        if number <= info.header_row or not any(c.strip() for c in cells):
            continue
        yield number, cells


# --- vCard -------------------------------------------------------------------------
# One row per card, in the columns of formats.VCARD_HEADERS; its row number is the
# line where the card begins (BEGIN:VCARD). vCard 2.1, 3.0 and 4.0: folded lines,
# quoted-printable values (2.1) in their CHARSET, escaped \, \; \n, item groups.

_VCARD_COLUMNS = ("fn", "given", "family", "email", "phone", "mobile", "org", "title", "department", "categories")


def _vcard_lines(fh) -> Iterator[tuple[int, str]]:
    """Logical lines (unfolded) with the number of their first physical line."""
    current, start = None, 0
    for number, line in enumerate(fh, start=1):
        line = line.rstrip("\r\n").replace("\x00", "")
        if current is not None and line[:1] in (" ", "\t"):
            current += line[1:]
            continue
        if current is not None and current.endswith("=") and "QUOTED-PRINTABLE" in current.split(":", 1)[0].upper():
            current = current[:-1] + line  # quoted-printable soft line break
            continue
        if current is not None:
            yield start, current
        current, start = line, number
    if current is not None:
        yield start, current


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\,;nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _split_escaped(value: str, sep: str) -> list[str]:
    return [_unescape(p) for p in re.split(r"(?<!\\)" + re.escape(sep), value)]


def _vcard_property(line: str) -> tuple[str, dict[str, set[str]], str]:
    head, _, value = line.partition(":")
    parts = head.split(";")
    name = parts[0].rsplit(".", 1)[-1].upper()  # "item1.EMAIL" -> "EMAIL"
    params: dict[str, set[str]] = {}
    for part in parts[1:]:
        key, eq, val = part.partition("=")
        if not eq:  # vCard 2.1 bare types: TEL;CELL;PREF
            key, val = "TYPE", key
        for item in val.strip('"').split(","):
            params.setdefault(key.upper(), set()).add(item.strip().upper())
    if "QUOTED-PRINTABLE" in params.get("ENCODING", set()):
        charset = next(iter(params.get("CHARSET", {"UTF-8"})))
        try:
            value = quopri.decodestring(value.encode("latin-1", "replace")).decode(charset, "replace")
        except LookupError:
            value = quopri.decodestring(value.encode("latin-1", "replace")).decode("utf-8", "replace")
    return name, params, value


def _card_cells(props: list[tuple[str, dict[str, set[str]], str]]) -> list[str]:
    out = dict.fromkeys(_VCARD_COLUMNS, "")
    emails: list[tuple[bool, str]] = []
    for name, params, value in props:
        types = params.get("TYPE", set())
        if name == "FN":
            out["fn"] = _unescape(value)
        elif name == "N":
            parts = [*_split_escaped(value, ";"), "", ""]
            out["family"], out["given"] = parts[0], parts[1]
        elif name == "EMAIL" and value.strip():
            emails.append(("PREF" in types or "PREF" in params, _unescape(value).strip()))
        elif name == "TEL" and value.strip():
            slot = "mobile" if types & {"CELL", "MOBILE", "IPHONE"} else "phone"
            number = _unescape(value).strip().removeprefix("tel:")
            if not out[slot] or "PREF" in types:
                out[slot] = number
        elif name == "ORG":
            parts = [*_split_escaped(value, ";"), ""]
            out["org"], out["department"] = parts[0], parts[1]
        elif name == "TITLE":
            out["title"] = _unescape(value)
        elif name == "CATEGORIES":
            out["categories"] = ", ".join(p.strip() for p in _split_escaped(value, ",") if p.strip())
    if emails:
        out["email"] = next((e for pref, e in emails if pref), emails[0][1])
    return [out[c].strip() for c in _VCARD_COLUMNS]


def vcard_records(path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    props: list | None = None
    start = 0
    try:
        with open(path, encoding=encoding, newline="", errors="strict") as fh:
            for number, line in _vcard_lines(fh):
                upper = line.strip().upper()
                if upper == "BEGIN:VCARD":
                    props, start = [], number
                elif upper == "END:VCARD":
                    if props is not None:
                        yield start, _card_cells(props)
                    props = None
                elif props is not None and ":" in line:
                    props.append(_vcard_property(line))
    except UnicodeDecodeError as exc:
        raise ReadError(f"Line {start or 1}: the file is not valid {encoding} from here on ({exc.reason}). Export "
                        f"the contacts again as UTF-8.") from None
    if props is not None:  # the last card has no END:VCARD
        yield start, _card_cells(props)


def _inspect_vcard(path, encoding: str) -> TableInfo:
    from .formats import VCARD_HEADERS

    cards = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1024 * 1024):
            cards += chunk.upper().count(VCARD_MAGIC if not encoding.startswith("utf-16") else
                                         "BEGIN:VCARD".encode(encoding)[2:])
    if not cards:
        raise ReadError("This .vcf file holds no contact card (BEGIN:VCARD … END:VCARD).")
    return TableInfo(file_format="vcf", headers=list(VCARD_HEADERS), header_row=0, encoding=encoding,
                     estimated_rows=cards)


# --- Excel ------------------------------------------------------------------------

def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _open_sheet(path):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        return workbook, workbook.worksheets[0]
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError, TypeError, OSError, EOFError) as exc:
        raise ReadError(f"This Excel file cannot be read ({exc.__class__.__name__}). Open it in Excel, save it "
                        f"as .xlsx again, or export the sheet as CSV.") from None
    except Exception as exc:  # openpyxl raises many private error types on damaged files
        raise ReadError(f"This Excel file cannot be read ({exc.__class__.__name__}).") from None


def _xlsx_records(path) -> Iterator[tuple[int, list[str]]]:
    workbook, sheet = _open_sheet(path)
    try:
        start = sheet.min_row or 1
        for offset, values in enumerate(sheet.iter_rows(values_only=True)):
            yield start + offset, [_cell_text(v) for v in values]
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"This Excel file is damaged ({exc.__class__.__name__}).") from None
    finally:
        workbook.close()


def _inspect_xlsx(path) -> TableInfo:
    info = TableInfo(file_format="xlsx", headers=[], header_row=0)
    for number, cells in _xlsx_records(path):
        if any(c.strip() for c in cells):
            while cells and not cells[-1].strip():
                cells.pop()
            info.headers, info.header_row = [c.strip() for c in cells], number
            break
    if not info.headers:
        raise ReadError("The first sheet is empty: it needs a header row and at least one data row.")
    if len(info.headers) > MAX_COLUMNS:
        raise ReadError(f"The header row has {len(info.headers)} columns; at most {MAX_COLUMNS} are supported.")
    workbook, sheet = _open_sheet(path)
    try:
        info.estimated_rows = max((sheet.max_row or 0) - info.header_row, 1)
    finally:
        workbook.close()
    return info
