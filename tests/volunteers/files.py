"""Building import files in tests (CSV in a chosen encoding, XLSX) and reading exports."""

import csv
import io


def csv_bytes(rows, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, sheet: str = "数据") -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    for row in rows:
        worksheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(data: bytes) -> list[list[object]]:
    import openpyxl

    worksheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(row) for row in worksheet.iter_rows(values_only=True)]
