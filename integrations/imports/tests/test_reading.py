import codecs
import io

import pytest
from openpyxl import Workbook

from integrations.imports.reading import ReadError, detect_delimiter, detect_encoding, inspect, iter_rows

ROWS = [["FirstName", "LastName", "Email"], ["José", "Müller-Lüdenscheidt", "jose@example.com"],
        ["Zoë", "Ærø; “quoted”", "zoe@example.com"]]


def write(tmp_path, data: bytes, name="f.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read_all(path):
    info = inspect(path, path.name)
    return info, list(iter_rows(path, info))


def text(delimiter=",", newline="\r\n"):
    import csv

    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(ROWS)
    return out.getvalue()


@pytest.mark.parametrize("encoding,prefix", [
    ("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("utf-16", b""), ("utf-16-le", codecs.BOM_UTF16_LE),
    ("cp1252", b""),
])
def test_encodings(tmp_path, encoding, prefix):
    info, rows = read_all(write(tmp_path, prefix + text().encode(encoding)))
    assert info.headers == ROWS[0]
    assert [cells for _, cells in rows] == ROWS[1:]


def test_cp1252_is_detected_not_guessed():
    sample = ("Name;City\n" + "Café Müller;Köln\nSøren Ærø;Århus\n" * 20).encode("cp1252")
    assert detect_encoding(sample) == "cp1252"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters(tmp_path, delimiter):
    assert detect_delimiter(text(delimiter)) == delimiter
    _, rows = read_all(write(tmp_path, text(delimiter).encode()))
    assert [cells for _, cells in rows] == ROWS[1:]


def test_quoted_newlines_blank_lines_and_row_numbers(tmp_path):
    data = b'\r\n\r\nFirstName,LastName,Email\r\n"Ann\r\nMarie",Lee,a@x.example\r\n\r\nBob,Ray,b@x.example\r\n\r\n\r\n'
    info, rows = read_all(write(tmp_path, data))
    assert info.header_row == 3
    assert rows == [(4, ["Ann\r\nMarie", "Lee", "a@x.example"]), (6, ["Bob", "Ray", "b@x.example"])]


def test_xlsx(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["FirstName", "Phone", "Email"])
    sheet.append(["Ann", 442079460000, "a@x.example"])
    sheet.append([None, None, None])
    sheet.append(["Bob", 12.5, "b@x.example"])
    out = io.BytesIO()
    workbook.save(out)
    info, rows = read_all(write(tmp_path, out.getvalue(), "f.xlsx"))
    assert info.file_format == "xlsx" and info.headers == ["FirstName", "Phone", "Email"]
    assert rows == [(2, ["Ann", "442079460000", "a@x.example"]), (4, ["Bob", "12.5", "b@x.example"])]


@pytest.mark.parametrize("data,message", [
    (b"", "empty"), (b"\r\n\r\n", "empty"), (bytes(range(256)) * 50, "not readable text"),
    (b"\xd0\xcf\x11\xe0garbage", ".xls"), (b"PK\x03\x04broken zip", "Excel file cannot be read"),
])
def test_unreadable_files_fail_with_a_message(tmp_path, data, message):
    with pytest.raises(ReadError, match=message):
        read_all(write(tmp_path, data))


def test_utf8_sample_then_bad_bytes_later(tmp_path):
    data = text().encode() + b"x" * 300_000 + b"\r\nAnn,\xff\xfe\xfa,a@x\r\n"
    path = write(tmp_path, data)
    info = inspect(path)
    with pytest.raises(ReadError, match="not valid utf-8"):
        list(iter_rows(path, info))
