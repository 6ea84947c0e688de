#!/usr/bin/env python3
"""Decode every barcode in a rendered page image with zxing-cpp.

Usage: decode_qr.py PNG        (e.g. a page rendered by `pdftoppm -r 150 -png`)

Prints one JSON object:
  {"count": n,
   "codes": [{"format": "QRCode", "format_description": "QR Code",
              "text": "...", "bytes_hex": "...", "content_type": "Text",
              "version": 5 | null, "ec_level": "M" | null, "data_mask": 6 | null,
              "symbology_identifier": "]Q1", "orientation": 0,
              "position": [[x, y], ...top-left, top-right, bottom-right, bottom-left]}],
   "zxingcpp_version": "..."}
"version", "ec_level" and "data_mask" come from zxing-cpp's Barcode.extra
(keys "Version", "ECLevel", "DataMask"), falling back to Barcode.ec_level.

Exit status: 0 if at least one barcode was found, 1 if none, 2 if the image
cannot be read.
"""

import json
import sys
from importlib import metadata


def _emit(obj, code):
    try:
        sys.stdout.reconfigure(encoding="utf-8")
    except Exception:
        pass
    print(json.dumps(obj, ensure_ascii=False, indent=2))
    sys.exit(code)


def _int_or_str(v):
    if v is None:
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return str(v)


def _point(p):
    return [p.x, p.y]


def main(argv):
    if len(argv) != 2:
        _emit({"error": "usage: decode_qr.py PNG", "count": 0, "codes": []}, 2)
    import zxingcpp
    from PIL import Image

    try:
        version = metadata.version("zxing-cpp")
    except Exception:
        version = None
    try:
        with Image.open(argv[1]) as img:
            img.load()
            # Flatten transparency onto white, then grayscale: zxing-cpp wants
            # luminance and this avoids palette/alpha surprises.
            if img.mode in ("RGBA", "LA", "P", "PA"):
                rgba = img.convert("RGBA")
                bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                bg.alpha_composite(rgba)
                img = bg
            gray = img.convert("L")
    except Exception as e:
        _emit({"error": f"cannot read image: {type(e).__name__}: {e}",
               "count": 0, "codes": []}, 2)

    barcodes = zxingcpp.read_barcodes(gray)
    codes = []
    for b in barcodes:
        extra = {}
        try:
            extra = dict(b.extra or {})
        except Exception:
            extra = {}
        ec = extra.get("ECLevel")
        if ec is None:
            ec = getattr(b, "ec_level", None) or None
        pos = b.position
        codes.append(
            {
                "format": getattr(b.format, "name", str(b.format)),
                "format_description": str(b.format),
                "text": b.text,
                "bytes_hex": bytes(b.bytes).hex(),
                "content_type": getattr(b.content_type, "name", str(b.content_type)),
                "version": _int_or_str(extra.get("Version")),
                "ec_level": ec,
                "data_mask": _int_or_str(extra.get("DataMask")),
                "symbology_identifier": b.symbology_identifier,
                "orientation": b.orientation,
                "position": [
                    _point(pos.top_left),
                    _point(pos.top_right),
                    _point(pos.bottom_right),
                    _point(pos.bottom_left),
                ],
            }
        )
    _emit(
        {"count": len(codes), "codes": codes, "zxingcpp_version": version},
        0 if codes else 1,
    )


if __name__ == "__main__":
    main(sys.argv)
